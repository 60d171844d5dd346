//! The entry point: find out which cgroup layout the machine runs, then create, open or
//! return to cgroups in it, whichever version implements them.

use crate::error::{Error, Result};
use crate::{Cgroup, Controller, Layout, files, layout, v1, v2};
use std::path::{Path, PathBuf};

/// The machine's cgroup layout and the place where new cgroups are made.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    layout: Layout,
    mounts: Vec<layout::CgroupMount>,
}

impl Hierarchy {
    /// Detects the layout with statfs(2) and `/proc/self/mountinfo` (see [`layout::detect`]).
    pub fn detect() -> Result<Self> {
        let (layout, mounts) = layout::detect()?;
        Ok(Hierarchy { layout, mounts })
    }

    /// Which layout this machine runs.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Every cgroup mount found in `/proc/self/mountinfo`.
    pub fn mounts(&self) -> &[layout::CgroupMount] {
        &self.mounts
    }

    /// Creates cgroup `name` (a relative path such as `lab/web`) with `controllers` and returns
    /// it. On v2 it goes under the root and the controllers are enabled in every parent's
    /// `cgroup.subtree_control`; on v1 it is made in each controller's hierarchy beneath the
    /// cgroup this process already belongs to, so limits placed on us still apply.
    /// Nothing is left behind if any part fails.
    pub fn create(&self, name: &str, controllers: &[Controller]) -> Result<Box<dyn Cgroup>> {
        check_name(name)?;
        match self.layout {
            Layout::Unified => Ok(Box::new(v2::V2Cgroup::create(
                &self.v2_root(),
                name,
                controllers,
            )?)),
            Layout::Legacy | Layout::Hybrid => Ok(Box::new(v1::V1Cgroup::create(
                &self.mounts,
                name,
                controllers,
            )?)),
        }
    }

    /// Opens an existing cgroup made by [`Hierarchy::create`] (by this or another process),
    /// e.g. to read its statistics or remove it.
    pub fn open(&self, name: &str, controllers: &[Controller]) -> Result<Box<dyn Cgroup>> {
        check_name(name)?;
        match self.layout {
            Layout::Unified => Ok(Box::new(v2::V2Cgroup::open(&self.v2_root(), name)?)),
            Layout::Legacy | Layout::Hybrid => Ok(Box::new(v1::V1Cgroup::open(
                &self.mounts,
                name,
                controllers,
            )?)),
        }
    }

    /// Where this process is now, per hierarchy (from `/proc/self/cgroup`), so that it can
    /// visit another cgroup and come back: see [`Origin`].
    pub fn origin(&self, controllers: &[Controller]) -> Result<Origin> {
        let dirs: Vec<PathBuf> = match self.layout {
            Layout::Unified => {
                let own = layout::own_cgroups()?;
                let path = own
                    .iter()
                    .find(|(list, _)| list.is_empty())
                    .map_or("/", |(_, p)| p.as_str());
                vec![self.v2_root().join(path.trim_start_matches('/'))]
            }
            Layout::Legacy | Layout::Hybrid => v1::locate(&self.mounts, "", controllers)?
                .into_values()
                .collect(),
        };
        let mut procs_files: Vec<PathBuf> = dirs.iter().map(|d| d.join("cgroup.procs")).collect();
        procs_files.sort();
        procs_files.dedup();
        Ok(Origin { procs_files })
    }

    fn v2_root(&self) -> PathBuf {
        Path::new(layout::CGROUP_ROOT).to_path_buf()
    }
}

/// A cgroup name must stay below the place we create cgroups: relative, no `..`, no empty parts.
fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == ".." || part.contains('\n'));
    if bad {
        return Err(Error::InvalidName { name: name.into() });
    }
    Ok(())
}

/// The cgroups a process was in before it visited another one ([`Hierarchy::origin`]).
///
/// A child cloned with `CLONE_NEWCGROUP` gets a cgroup namespace rooted at the cgroup it is
/// born in (cgroup_namespaces(7)). To give a container a namespace rooted at *its* cgroup, the
/// parent steps into that cgroup, clones, and steps back out with [`Origin::return_here`].
#[derive(Debug, Clone)]
pub struct Origin {
    procs_files: Vec<PathBuf>,
}

impl Origin {
    /// Moves process `pid` back by writing it to each original `cgroup.procs`.
    pub fn return_here(&self, pid: i32) -> Result<()> {
        for file in &self.procs_files {
            files::write(file, &pid.to_string())?;
        }
        Ok(())
    }
}
