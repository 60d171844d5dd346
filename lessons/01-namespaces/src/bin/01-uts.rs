//! Step 1: a UTS namespace gives a process a hostname of its own.
//!
//! Run:  cargo run -p namespaces --bin 01-uts \[NAME]
//! Look for: the child reports hostname=NAME and a different `uts:[…]` inode than the parent;
//! the host's hostname is the same before and after.
//! Read: uts_namespaces(7), clone(2), sethostname(2).

use namespaces::{Namespace, process::spawn};
use nix::unistd::{Pid, gethostname, sethostname};
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    namespaces::privilege::require_root("a new UTS namespace")?;
    let name = std::env::args().nth(1).unwrap_or_else(|| "lab".into());
    let host = hostname();
    println!(
        "outside: hostname={host} uts={}",
        Namespace::Uts.inode(Pid::this())?
    );

    println!("cloning a child with CLONE_NEWUTS; it sets its hostname to {name:?}");
    // ANCHOR: clone
    let child = spawn(&[Namespace::Uts], || {
        // This changes the hostname of the child's new UTS namespace only.
        if let Err(e) = sethostname(&name) {
            eprintln!("sethostname: {e}");
            return 1;
        }
        let uts = Namespace::Uts.inode(Pid::this()).unwrap_or(0);
        println!("inside: hostname={} uts={uts}", hostname());
        0
    })?;
    // ANCHOR_END: clone
    let code = child.wait()?;

    println!("outside: hostname={} (unchanged)", hostname());
    Ok(ExitCode::from(code as u8))
}

fn hostname() -> String {
    gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}
