//! The time slice a worker thread asks the kernel for.
//!
//! A worker sleeps until a request arrives and answers most in a few microseconds. When the
//! cores are busy (a load generator, a build, another service), the thread that woke it keeps
//! its core until its own slice ends, and the request waits: that wait is the tail of the
//! latency. Since Linux 6.12 the fair scheduler (EEVDF) lets a thread ask for a shorter slice
//! (`sched_attr.sched_runtime` for `SCHED_OTHER`); a thread with a shorter slice has an earlier
//! deadline and runs as soon as it wakes, in slices as short as it asked for. Its share of the
//! CPU stays the same. Older kernels ignore the request. See the kernel's
//! `Documentation/scheduler/sched-eevdf.rst` (Linux 6.12).

use std::io;

/// What a worker asks for: the shortest slice the kernel grants, 0.1 ms.
pub const WORKER_SLICE_NS: u64 = 100_000;

/// Asks for [`WORKER_SLICE_NS`] on the calling thread, keeping its niceness. A thread under
/// another policy than `SCHED_OTHER` (started with `chrt`, say) is left as it is: `false`.
pub fn ask_for_short_slice() -> io::Result<bool> {
    sys::ask_for_short_slice()
}

#[cfg(target_os = "linux")]
pub(crate) mod sys {
    use std::io;

    /// `SCHED_OTHER`, the default policy.
    pub const SCHED_OTHER: u32 = 0;
    /// `SCHED_BATCH`.
    #[cfg(test)]
    pub const SCHED_BATCH: u32 = 3;
    /// The one flag of a fair thread that setting its attributes again must carry over.
    const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;

    /// `struct sched_attr` of `<linux/sched/types.h>`, in its 56-byte form (Linux 5.3 and
    /// later; older kernels read the first 48 bytes and want the rest zero, as it is when set).
    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy)]
    pub struct SchedAttr {
        pub size: u32,
        pub policy: u32,
        pub flags: u64,
        pub nice: i32,
        pub priority: u32,
        pub runtime: u64,
        pub deadline: u64,
        pub period: u64,
        pub util_min: u32,
        pub util_max: u32,
    }

    const SIZE: u32 = std::mem::size_of::<SchedAttr>() as u32;

    /// The calling thread's scheduling attributes.
    pub fn get() -> io::Result<SchedAttr> {
        let mut attr = SchedAttr::default();
        // SAFETY: the kernel writes at most `SIZE` bytes into `attr`, which is that large.
        #[allow(unsafe_code)]
        let done = unsafe {
            libc::syscall(
                libc::SYS_sched_getattr,
                0,
                &mut attr as *mut SchedAttr,
                SIZE,
                0,
            )
        };
        if done == 0 {
            Ok(attr)
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Sets the calling thread's scheduling attributes.
    pub fn set(attr: &SchedAttr) -> io::Result<()> {
        let attr = SchedAttr {
            size: SIZE,
            ..*attr
        };
        // SAFETY: the kernel reads `attr.size` bytes from `attr`, which is that large.
        #[allow(unsafe_code)]
        let done =
            unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) };
        if done == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    pub fn ask_for_short_slice() -> io::Result<bool> {
        let current = get()?;
        if current.policy != SCHED_OTHER {
            return Ok(false);
        }
        // The niceness is part of what is set: it is passed back as it is, never reset.
        set(&SchedAttr {
            policy: SCHED_OTHER,
            flags: current.flags & SCHED_FLAG_RESET_ON_FORK,
            nice: current.nice,
            runtime: super::WORKER_SLICE_NS,
            ..SchedAttr::default()
        })?;
        Ok(true)
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    pub fn ask_for_short_slice() -> std::io::Result<bool> {
        Ok(false)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::sys::{self, SCHED_BATCH, SCHED_OTHER, SchedAttr};
    use super::{WORKER_SLICE_NS, ask_for_short_slice};

    /// The slice the kernel gives the calling thread, from `/proc/thread-self/sched`.
    fn slice_ns() -> Option<u64> {
        let sched = std::fs::read_to_string("/proc/thread-self/sched").expect("sched is readable");
        sched
            .lines()
            .find(|line| line.starts_with("se.slice"))
            .and_then(|line| line.split(':').nth(1))
            .map(|value| value.trim().parse().expect("a number"))
    }

    /// Whether this kernel takes a slice from `sched_attr` (Linux 6.12 and later).
    fn kernel_takes_slices() -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
        let mut numbers = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
        (major, minor) >= (6, 12)
    }

    /// Runs `work` on a thread of its own, so that no test thread keeps what it set.
    fn on_a_new_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::spawn(work).join().expect("the thread ends")
    }

    #[test]
    fn a_thread_gets_the_short_slice_and_keeps_its_niceness() {
        let (asked, attr, slice) = on_a_new_thread(|| {
            // Niceness 7 (raising it needs no privilege), then the slice.
            sys::set(&SchedAttr {
                policy: SCHED_OTHER,
                nice: 7,
                ..SchedAttr::default()
            })
            .expect("a thread may lower its own priority");
            let asked = ask_for_short_slice().expect("the kernel takes the request");
            (asked, sys::get().expect("attributes"), slice_ns())
        });
        assert!(asked);
        assert_eq!((attr.policy, attr.nice), (SCHED_OTHER, 7));
        if kernel_takes_slices() {
            assert_eq!(slice, Some(WORKER_SLICE_NS));
        }
    }

    #[test]
    fn a_thread_under_another_policy_is_left_alone() {
        let (asked, attr, slice_before, slice_after) = on_a_new_thread(|| {
            sys::set(&SchedAttr {
                policy: SCHED_BATCH,
                nice: 3,
                ..SchedAttr::default()
            })
            .expect("a thread may become a batch thread");
            let before = slice_ns();
            let asked = ask_for_short_slice().expect("nothing to refuse");
            (asked, sys::get().expect("attributes"), before, slice_ns())
        });
        assert!(!asked);
        assert_eq!((attr.policy, attr.nice), (SCHED_BATCH, 3));
        assert_eq!(slice_before, slice_after);
        if kernel_takes_slices() {
            assert_ne!(slice_after, Some(WORKER_SLICE_NS));
        }
    }
}
