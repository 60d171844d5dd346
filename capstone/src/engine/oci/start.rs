//! `start`: the second half of the OCI contract's create/start pair. The created container's
//! process waits in open(2) of its exec fifo (see `mechanisms::oci::hooks`); opening the fifo
//! for reading lets it go on to execve(2), and the byte it writes says it has.

use super::{Status, state_of};
use crate::mechanisms::oci::bundle;
use crate::mechanisms::oci::lifecycle::{self, Stage};
use crate::store::oci_state::EXEC_FIFO;
use anyhow::{Context, Result, bail};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::path::Path;

/// `start`: releases a created container's process through its exec fifo.
pub fn start(root: &Path, id: &str) -> Result<()> {
    let (record, state) = super::load(root, id)?;
    match state.status {
        Status::Created => {}
        Status::Stopped => bail!("cannot start a container that has stopped"),
        _ => bail!("cannot start an already running container"),
    }
    let fifo = root.join(id).join(EXEC_FIFO);
    // Non-blocking, so a process that died meanwhile cannot leave us waiting forever.
    let reader = nix::fcntl::open(
        &fifo,
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("open {}", fifo.display()))?;
    let mut byte = [0u8; 1];
    loop {
        let mut fds = [nix::poll::PollFd::new(
            std::os::fd::AsFd::as_fd(&reader),
            nix::poll::PollFlags::POLLIN,
        )];
        let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u16));
        match nix::unistd::read(&reader, &mut byte) {
            Ok(1) => break,
            Ok(_) | Err(nix::Error::EAGAIN) if super::status(root, &record) != Status::Stopped => {}
            _ => bail!("cannot start a container that has stopped"),
        }
    }
    let _ = std::fs::remove_file(&fifo);
    let spec = bundle::load(&record.bundle)?.spec;
    let state = serde_json::to_vec(&state_of(root, &record))?;
    lifecycle::run(&spec, Stage::Poststart, &state)
}
