//! One listening socket per worker, the kernel choosing each new connection's worker by CPU
//! (`serve --connections-by-cpu`).
//!
//! With one listener shared by every worker, actix-server's accept thread hands connections to
//! the workers in turn, so each client thread's connections are spread over every worker, and
//! requests and answers cross between cores. On a busy machine that is much of the tail of the
//! latency (BENCHMARKS.md, item 26). Instead each worker gets a listener of its own on the same
//! address (`SO_REUSEPORT`), and a classic BPF program attached to the group
//! (`SO_ATTACH_REUSEPORT_CBPF`) picks listener `cpu % count` for each new connection, `cpu` being
//! the core that handled the connection's first packet: the client's own core on loopback, the
//! receive queue's core behind a network card that spreads flows over queues. Connections that
//! arrive on one core go to one worker. See socket(7), `SO_ATTACH_REUSEPORT_CBPF`.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

/// Listeners for `count` workers on `address`: one shared listener when `count` is 1, else a
/// group of `count` on one port (the port of the first when `address` asks for port 0).
///
/// An address another socket listens on is refused with `AddrInUse`, as a plain bind is, even
/// when that socket is itself in a group: a second server on the same port is a mistake, not
/// more workers.
pub fn bind(address: &str, count: usize) -> io::Result<Vec<TcpListener>> {
    if count <= 1 || !cfg!(target_os = "linux") {
        return Ok(vec![TcpListener::bind(address)?]);
    }
    let mut last = None;
    for candidate in address.to_socket_addrs()? {
        match bind_group(candidate, count) {
            Ok(listeners) => return Ok(listeners),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}

fn bind_group(address: SocketAddr, count: usize) -> io::Result<Vec<TcpListener>> {
    if address.port() != 0 {
        // A socket without SO_REUSEPORT cannot join a group, so this bind fails exactly when
        // something listens there already. It is closed before the group binds.
        drop(TcpListener::bind(address)?);
    }
    let first = reusable(address)?;
    let address = first.local_addr()?;
    steer_by_cpu(&first, count)?;
    let mut listeners = vec![first];
    for _ in 1..count {
        listeners.push(reusable(address)?);
    }
    Ok(listeners)
}

/// A listener with `SO_REUSEPORT` (and `SO_REUSEADDR`, as std's bind sets it on Unix).
fn reusable(address: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&address.into())?;
    // std's backlog for TcpListener::bind.
    socket.listen(128)?;
    Ok(socket.into())
}

/// Attaches `return cpu % count` to the listener's group: the index of the listener, in the
/// order they were bound, that takes each new connection.
#[cfg(target_os = "linux")]
fn steer_by_cpu(listener: &TcpListener, count: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let count = u32::try_from(count).map_err(io::Error::other)?;
    let program = [
        // A = the current CPU (an ancillary load)
        filter(
            libc::BPF_LD | libc::BPF_W | libc::BPF_ABS,
            (libc::SKF_AD_OFF + libc::SKF_AD_CPU) as u32,
        ),
        // A %= count
        filter(libc::BPF_ALU | libc::BPF_MOD | libc::BPF_K, count),
        // return A
        filter(libc::BPF_RET | libc::BPF_A, 0),
    ];
    let program = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: setsockopt reads `sizeof(sock_fprog)` bytes at the pointer, and the program
    // those point to, both alive for the call; the kernel copies the program.
    #[allow(unsafe_code)]
    let done = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_REUSEPORT_CBPF,
            (&raw const program).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn steer_by_cpu(_listener: &TcpListener, _count: usize) -> io::Result<()> {
    Ok(())
}

#[cfg(target_os = "linux")]
fn filter(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::TcpStream;

    /// The CPUs this thread may run on.
    fn allowed_cpus() -> Vec<usize> {
        // SAFETY: cpu_set_t is plain data, written whole by the kernel.
        #[allow(unsafe_code)]
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
                .collect()
        }
    }

    /// Keeps the calling thread on `cpus`.
    fn pin(cpus: &[usize]) {
        // SAFETY: as above; the set is read by the kernel.
        #[allow(unsafe_code)]
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &cpu in cpus {
                libc::CPU_SET(cpu, &mut set);
            }
            assert_eq!(
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
                0,
                "{}",
                io::Error::last_os_error()
            );
        }
    }

    /// How many pending connections each listener holds (accepting them all).
    fn accepted(listeners: &[TcpListener]) -> Vec<usize> {
        listeners
            .iter()
            .map(|listener| {
                listener.set_nonblocking(true).unwrap();
                std::iter::from_fn(|| listener.accept().ok()).count()
            })
            .collect()
    }

    #[test]
    fn connections_from_one_cpu_all_go_to_that_cpus_listener() {
        let cpus = allowed_cpus();
        assert!(cpus.len() >= 2, "this test needs two CPUs, has {cpus:?}");
        let listeners = bind("127.0.0.1:0", 2).unwrap();
        let port = listeners[0].local_addr().unwrap().port();
        assert_eq!(listeners[1].local_addr().unwrap().port(), port);
        let tested = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for &cpu in &cpus {
                pin(&[cpu]);
                // Connected from this CPU: the handshake's first packet is handled on it.
                let streams: Vec<_> = (0..8)
                    .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
                    .collect();
                let counts = accepted(&listeners);
                let mut expected = vec![0, 0];
                expected[cpu % 2] = 8;
                assert_eq!(counts, expected, "connections made on CPU {cpu}");
                seen.push(cpu % 2);
                drop(streams);
            }
            seen
        });
        let seen = tested.join().unwrap();
        assert!(
            seen.contains(&0) && seen.contains(&1),
            "both listeners took connections"
        );
    }

    #[test]
    fn a_single_worker_gets_one_plain_listener() {
        let listeners = bind("127.0.0.1:0", 1).unwrap();
        assert_eq!(listeners.len(), 1);
        // Not in a group: another group cannot join its port.
        let port = listeners[0].local_addr().unwrap().port();
        let error = bind(&format!("127.0.0.1:{port}"), 2).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn a_port_in_use_is_refused_even_by_a_group_of_the_same_user() {
        let group = bind("127.0.0.1:0", 3).unwrap();
        assert_eq!(group.len(), 3);
        let port = group[0].local_addr().unwrap().port();
        for count in [1, 2, 3] {
            let error = bind(&format!("127.0.0.1:{port}"), count).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{count} workers");
        }
    }

    #[test]
    fn an_address_without_a_port_is_an_error_not_a_panic() {
        let error = bind("127.0.0.1", 2).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
