//! The files of a catalog, read into memory from a directory or from the binary itself.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

/// The catalog shipped in `types/`, embedded at build time.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/types");

/// Version files and schemas larger than this are refused rather than parsed.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Relative path (with `/`) to content. Files over the size limit are kept as `None` so that
/// the checker can name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogFiles {
    files: BTreeMap<String, FileContent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    Bytes(Vec<u8>),
    TooLarge(u64),
    Unreadable(String),
}

/// The folder a catalog path is in: `vendor/name` for a type's file, `""` for a root file.
pub fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

impl CatalogFiles {
    /// The catalog built into this binary.
    pub fn embedded() -> Self {
        let mut files = Self::default();
        add_embedded(&EMBEDDED, &mut files);
        files
    }

    /// Reads every file below `root`. Only a missing or unreadable root is an error; problems
    /// with single files are kept for the checker to report.
    pub fn read_dir(root: &Path) -> io::Result<Self> {
        check_is_dir(root)?;
        let mut listed = Vec::new();
        let mut folders = Vec::new();
        walk_one(root, "", &mut listed, Some(&mut folders))?;
        // Listing and reading tens of thousands of small files is a tenth of checking a large
        // catalog: each top-level folder is walked and read on one of one thread per core.
        let read =
            super::parallel::map_in_order(&folders, super::parallel::cores(), |(prefix, path)| {
                let mut found = Vec::new();
                walk(path, prefix, &mut found).map(|()| {
                    found
                        .into_iter()
                        .map(|(path, listed)| (path, listed.content()))
                        .collect::<Read>()
                })
            });
        let mut files: Vec<(String, FileContent)> = listed
            .into_iter()
            .map(|(path, listed)| (path, listed.content()))
            .collect();
        // The first folder that cannot be walked, in walk order, is the error.
        for read in read {
            files.extend(read?);
        }
        // Built at once from the sorted list: inserting the files one by one cost 5 ms in
        // 25,000.
        Ok(Self {
            files: files.into_iter().collect(),
        })
    }

    /// The files below `root` that [`read_dir`](Self::read_dir) reads, with their relative
    /// paths, not read yet: for callers that read them a few at a time.
    pub fn list_dir(root: &Path) -> io::Result<Vec<(String, Listed)>> {
        check_is_dir(root)?;
        let mut found = Vec::new();
        walk(root, "", &mut found)?;
        Ok(found)
    }

    pub fn insert(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(path.into(), FileContent::Bytes(bytes));
    }

    pub fn insert_content(&mut self, path: impl Into<String>, content: FileContent) {
        self.files.insert(path.into(), content);
    }

    /// Adds every file of `other`, which wins where both have a path.
    pub fn extend(&mut self, other: CatalogFiles) {
        self.files.extend(other.files);
    }

    /// The files `want` names, each as it is here.
    pub fn filtered(&self, want: &dyn Fn(&str) -> bool) -> Self {
        let files = self
            .files
            .iter()
            .filter(|(path, _)| want(path))
            .map(|(path, content)| (path.clone(), content.clone()))
            .collect();
        Self { files }
    }

    /// The files directly in `folder` (a type's `vendor/name`), found by range, not by a walk.
    pub fn in_folder<'a>(
        &'a self,
        folder: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a FileContent)> + 'a {
        let prefix = format!("{folder}/");
        self.files
            .range(prefix.clone()..)
            .take_while(move |(path, _)| path.starts_with(&prefix))
            .filter(move |(path, _)| !path[folder.len() + 1..].contains('/'))
            .map(|(path, content)| (path.as_str(), content))
    }

    pub fn remove(&mut self, path: &str) -> Option<FileContent> {
        self.files.remove(path)
    }

    pub fn get(&self, path: &str) -> Option<&FileContent> {
        self.files.get(path)
    }

    pub fn bytes(&self, path: &str) -> Option<&[u8]> {
        match self.files.get(path) {
            Some(FileContent::Bytes(bytes)) => Some(bytes),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FileContent)> {
        self.files
            .iter()
            .map(|(path, content)| (path.as_str(), content))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Writes every file below `root`, creating folders as needed.
    pub fn write_to(&self, root: &Path) -> io::Result<()> {
        for (path, content) in &self.files {
            if let FileContent::Bytes(bytes) = content {
                let target = root.join(path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(target, bytes)?;
            }
        }
        Ok(())
    }
}

fn add_embedded(dir: &Dir<'static>, files: &mut CatalogFiles) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        files.insert(path, file.contents().to_vec());
    }
    for sub in dir.dirs() {
        add_embedded(sub, files);
    }
}

/// The files of one folder and their contents, as [`CatalogFiles::read_dir`] reads them.
type Read = Vec<(String, FileContent)>;

fn check_is_dir(root: &Path) -> io::Result<()> {
    if !std::fs::metadata(root)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    Ok(())
}

/// A file found below the root: its content, or where to read it.
pub enum Listed {
    Read(PathBuf),
    Known(FileContent),
}

impl Listed {
    /// The content, read now if it is not known yet.
    pub fn content(&self) -> FileContent {
        match self {
            Self::Known(content) => content.clone(),
            Self::Read(path) => read_file(path),
        }
    }
}

/// A file's content, or why there is none. The size comes from the open file, so that the walk
/// (on one thread) makes no system call per file and the readers (one per core) make them all.
fn read_file(path: &Path) -> FileContent {
    use std::io::Read;
    let too_large = |len: u64| len > MAX_FILE_BYTES as u64;
    match std::fs::File::open(path) {
        Ok(file) => match file.metadata() {
            Ok(meta) if too_large(meta.len()) => FileContent::TooLarge(meta.len()),
            Ok(meta) => {
                let mut bytes = Vec::with_capacity(meta.len() as usize);
                // Reads the size the file has when it is opened: without the limit, the read
                // that finds the end is one more system call per file.
                match file.take(meta.len()).read_to_end(&mut bytes) {
                    Ok(_) => FileContent::Bytes(bytes),
                    Err(error) => FileContent::Unreadable(error.to_string()),
                }
            }
            Err(error) => FileContent::Unreadable(error.to_string()),
        },
        // A file too large is reported as such even when it cannot be opened.
        Err(error) => match std::fs::metadata(path) {
            Ok(meta) if too_large(meta.len()) => FileContent::TooLarge(meta.len()),
            _ => FileContent::Unreadable(error.to_string()),
        },
    }
}

/// Every file below `dir`, in walk order, without reading them.
fn walk(dir: &Path, prefix: &str, found: &mut Vec<(String, Listed)>) -> io::Result<()> {
    walk_one(dir, prefix, found, None)
}

/// The files in `dir`. Its folders (with the prefix of their files) go to `folders`, to be
/// walked later, or are walked in place when there is no `folders`.
fn walk_one(
    dir: &Path,
    prefix: &str,
    found: &mut Vec<(String, Listed)>,
    mut folders: Option<&mut Vec<(String, PathBuf)>>,
) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // editor and OS droppings (.DS_Store, .swp) are not catalog content
        }
        let relative = format!("{prefix}{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            match folders.as_deref_mut() {
                Some(folders) => folders.push((format!("{relative}/"), entry.path())),
                None => walk(&entry.path(), &format!("{relative}/"), found)?,
            }
        } else if file_type.is_file() {
            found.push((relative, Listed::Read(entry.path())));
        } else {
            // Symlinks could point outside the catalog; they are reported, never followed.
            // Other special files (FIFOs, sockets, devices) are never opened.
            let reason = if file_type.is_symlink() {
                "symbolic links are not followed"
            } else {
                "not a regular file"
            };
            found.push((
                relative,
                Listed::Known(FileContent::Unreadable(reason.into())),
            ));
        }
    }
    Ok(())
}
