//! Step 5: IPC and network namespaces: the host's System V message queues and network devices
//! disappear; a new network namespace holds only a loopback device, and it is down.
//!
//! Run:  cargo run -p namespaces --bin 05-ipc-net
//! Look for: outside, a message queue we create and several interfaces; inside, no queue
//! (msgctl says EINVAL) and only `lo`.
//! Read: ipc_namespaces(7), sysvipc(7), msgget(2), network_namespaces(7), if_nameindex(3).

use namespaces::{Namespace, process::spawn};
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    namespaces::privilege::require_root("new IPC and network namespaces")?;
    let queue = MessageQueue::create()?;
    println!(
        "outside: message queue id={} visible={}",
        queue.0,
        queue.visible()
    );
    println!("outside: interfaces={:?}", interfaces());

    println!("cloning a child with CLONE_NEWIPC | CLONE_NEWNET");
    // ANCHOR: clone
    let child = spawn(&[Namespace::Ipc, Namespace::Net], || {
        println!(
            "inside: message queue id={} visible={}",
            queue.0,
            queue.visible()
        );
        println!("inside: interfaces={:?}", interfaces());
        println!("inside: lo is up={}", is_up("lo"));
        0
    })?;
    // ANCHOR_END: clone
    let code = child.wait()?;
    Ok(ExitCode::from(code as u8))
}

/// A System V message queue (msgget(2)), removed (msgctl(2) IPC_RMID) when dropped.
struct MessageQueue(i32);

impl MessageQueue {
    fn create() -> std::io::Result<MessageQueue> {
        // SAFETY: msgget has no pointer arguments; IPC_PRIVATE always makes a new queue.
        let id = unsafe { libc::msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600) };
        if id < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(MessageQueue(id))
    }

    /// Whether this IPC namespace has a queue with our id: IPC_STAT fails with EINVAL where
    /// it does not.
    fn visible(&self) -> bool {
        // SAFETY: msqid_ds is plain data; msgctl only writes into the struct we pass.
        let mut info: libc::msqid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable msqid_ds for IPC_STAT to fill in.
        unsafe { libc::msgctl(self.0, libc::IPC_STAT, &mut info) == 0 }
    }
}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        // SAFETY: IPC_RMID ignores the buffer argument, so a null pointer is allowed.
        unsafe { libc::msgctl(self.0, libc::IPC_RMID, std::ptr::null_mut()) };
    }
}

/// The network interfaces of the current network namespace (if_nameindex(3), via netlink).
fn interfaces() -> Vec<String> {
    nix::net::if_::if_nameindex()
        .map(|list| {
            list.iter()
                .map(|i| i.name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an interface is up (`IFF_UP`), from getifaddrs(3).
fn is_up(name: &str) -> bool {
    nix::ifaddrs::getifaddrs()
        .map(|mut all| {
            all.any(|i| {
                i.interface_name == name && i.flags.contains(nix::net::if_::InterfaceFlags::IFF_UP)
            })
        })
        .unwrap_or(false)
}
