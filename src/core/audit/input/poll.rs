//! Reads that a cancel can stop while they wait.

/// Reading that waits in `poll(2)`, a tenth of a second at a time, so that a cancel is seen
/// even while a FIFO has no writer or a pipe no data.
#[cfg(unix)]
mod waiting {
    use std::fs::{File, OpenOptions};
    use std::io::{self, Read};
    use std::os::fd::{AsFd, AsRawFd};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};

    pub use crate::core::audit::input::errors::Cancelled;

    /// Opens without waiting: a FIFO opened for reading would otherwise block until a writer
    /// comes. Regular files ignore the flag.
    pub fn open(path: &Path) -> io::Result<File> {
        OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
    }

    pub struct Waiting<'c, F> {
        inner: F,
        cancel: &'c AtomicBool,
        /// Regular files never wait: no poll for them.
        polls: bool,
    }

    impl<'c, F: AsFd> Waiting<'c, F> {
        /// `regular`: the source is a regular file, whose reads never wait: no poll for it.
        pub fn new(inner: F, regular: bool, cancel: &'c AtomicBool) -> Self {
            Waiting {
                inner,
                cancel,
                polls: !regular,
            }
        }
    }

    impl<F: Read + AsFd> Read for Waiting<'_, F> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            loop {
                if self.cancel.load(Ordering::Relaxed) {
                    return Err(io::Error::new(io::ErrorKind::Interrupted, Cancelled));
                }
                if self.polls {
                    let mut wanted = libc::pollfd {
                        fd: self.inner.as_fd().as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, for a descriptor this reader holds open.
                    match unsafe { libc::poll(&mut wanted, 1, 100) } {
                        0 => continue,
                        n if n < 0 => {
                            let error = io::Error::last_os_error();
                            if error.kind() == io::ErrorKind::Interrupted {
                                continue;
                            }
                            return Err(error);
                        }
                        _ => {}
                    }
                }
                match self.inner.read(buffer) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                    other => return other,
                }
            }
        }
    }
}

/// Elsewhere reads block as the system makes them; a cancel is seen between chunks.
#[cfg(not(unix))]
mod waiting {
    use std::fs::File;
    use std::io::{self, Read};
    use std::path::Path;
    use std::sync::atomic::AtomicBool;

    pub use crate::core::audit::input::errors::Cancelled;

    pub fn open(path: &Path) -> io::Result<File> {
        File::open(path)
    }

    pub struct Waiting<F>(F);

    impl<F> Waiting<F> {
        pub fn new(inner: F, _regular: bool, _cancel: &AtomicBool) -> Self {
            Waiting(inner)
        }
    }

    impl<F: Read> Read for Waiting<F> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            self.0.read(buffer)
        }
    }
}

pub(crate) use waiting::{open, Waiting};
