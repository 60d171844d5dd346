//! Graders for lesson 04 (images): hostile layers applied with `apply_layer` into a scratch
//! target; the checks read the host's filesystem around the target — nothing may appear
//! outside it, whatever the layer's names and symlinks say.

use crate::kernel;
use crate::report::Report;
use images::apply::{ApplyOptions, apply_layer};
use images::demo::LayerTar;

fn scratch() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new().prefix("kit-layer-").tempdir()?)
}

/// A tar with one regular file whose name is written into the header as given (the tar
/// crate's own builder refuses `..`, as it should; an attacker's tool does not).
fn raw_entry_tar(name: &str, data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, data)?;
    Ok(builder.into_inner()?)
}

/// 04.1: a layer plants `etc -> /ABSOLUTE/HOST/DIR` and then writes `etc/NAME`: the host
/// directory must stay empty, and the file lands inside the target (or the layer is refused).
pub fn resolve_in_root(r: &mut Report) -> anyhow::Result<()> {
    let dir = scratch()?;
    let (outside, target) = (dir.path().join("host"), dir.path().join("target"));
    std::fs::create_dir(&outside)?;
    std::fs::create_dir(&target)?;
    let (name, content) = (
        kernel::random_name("planted"),
        kernel::random_name("content"),
    );
    let layer = LayerTar::new()
        .symlink("etc", &outside.to_string_lossy())?
        .file(&format!("etc/{name}"), content.as_bytes(), 0o644)?
        .finish()?;
    let applied = apply_layer(&target, layer.as_slice(), &ApplyOptions::default());
    let escaped: Vec<_> = std::fs::read_dir(&outside)?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    if !r.check(
        format!(
            "nothing appeared in the host directory {} the symlink points to",
            outside.display()
        ),
        format!("{escaped:?}"),
        escaped.is_empty(),
    ) {
        r.advise(
            "the write followed the symlink onto the host: resolve with RESOLVE_IN_ROOT",
            1,
        );
    }
    let inside = target.join(outside.strip_prefix("/")?).join(&name);
    let kept_inside =
        applied.is_err() || std::fs::read_to_string(&inside).is_ok_and(|c| c == content);
    r.check(
        "the file landed inside the target (or the layer was refused)",
        format!(
            "apply: {:?}",
            applied.map(|_| "ok").map_err(|e| e.to_string())
        ),
        kept_inside,
    );
    // Refusing everything would be safe too, and useless: an honest layer must still apply.
    let honest = LayerTar::new()
        .dir("sub", 0o755, 0)?
        .file(&format!("sub/{name}"), content.as_bytes(), 0o644)?
        .finish()?;
    let applied = apply_layer(&target, honest.as_slice(), &ApplyOptions::default());
    let landed = std::fs::read_to_string(target.join("sub").join(&name))
        .unwrap_or_else(|e| format!("({e})"));
    if !r.check(
        format!("an honest layer still applies: sub/{name} holds its content"),
        format!(
            "{landed:?} ({})",
            applied
                .map(|_| "ok".to_string())
                .unwrap_or_else(|e| e.to_string())
        ),
        landed == content,
    ) {
        r.advise("lookups of ordinary paths fail: only the escape must be stopped — RESOLVE_IN_ROOT keeps them inside", 1);
    }
    Ok(())
}

/// 04.2: a layer with an entry `../NAME`: the layer must be refused with an error naming the
/// entry, and nothing may appear beside the target.
pub fn no_dotdot(r: &mut Report) -> anyhow::Result<()> {
    let dir = scratch()?;
    let target = dir.path().join("target");
    std::fs::create_dir(&target)?;
    let name = kernel::random_name("climbed");
    let layer = raw_entry_tar(&format!("../{name}"), b"x")?;
    let applied = apply_layer(&target, layer.as_slice(), &ApplyOptions::default());
    let said = match &applied {
        Ok(_) => "applied without complaint".to_string(),
        Err(e) => e.to_string(),
    };
    if !r.check(
        format!("the layer with ../{name} is refused, naming the entry"),
        said.clone(),
        applied.is_err() && said.contains(&name),
    ) {
        r.advise(
            "a `..` must not be skipped or clamped: return Error::HostileEntry for it",
            0,
        );
    }
    let beside = dir.path().join(&name).exists();
    r.check(
        "nothing appeared beside the target",
        format!(
            "{}: {}",
            dir.path().join(&name).display(),
            if beside { "exists" } else { "absent" }
        ),
        !beside,
    );
    Ok(())
}
