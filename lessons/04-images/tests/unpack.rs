//! Unpacking per layer for overlayfs: what each layer directory holds.

use std::fs;
use std::os::unix::fs::MetadataExt;

use images::demo::LayerTar;
use images::{ImageBuilder, ImportOptions, Store};

#[test]
fn implied_parent_directories_take_owner_and_mode_from_the_layer_below() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut b = ImageBuilder::new(&store);
    let base = LayerTar::new()
        .dir("home", 0o755, 0)
        .unwrap()
        .dir("home/student", 0o700, 1000)
        .unwrap();
    b.add_layer(&base.finish().unwrap()[..]).unwrap();
    // The upper layer names only the file, not its directories (as `umoci insert` does).
    let upper = LayerTar::new()
        .file("home/student/notes", b"hi", 0o644)
        .unwrap();
    b.add_layer(&upper.finish().unwrap()[..]).unwrap();
    let image = b.commit("t", &ImportOptions::default()).unwrap();

    let dirs = store.unpack(&image).unwrap();
    let implied = fs::metadata(dirs[1].join("home/student")).unwrap();
    // In the merged overlay the upper directory's metadata wins: it must be the lower's.
    assert_eq!(implied.mode() & 0o7777, 0o700);
    assert_eq!((implied.uid(), implied.gid()), (1000, 1000));
    assert_eq!(fs::read(dirs[1].join("home/student/notes")).unwrap(), b"hi");
}

#[test]
fn each_layer_is_unpacked_once_into_a_directory_named_by_its_chain_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let image = images::demo::demo_image(&store).unwrap();
    let first = store.unpack(&image).unwrap();
    for (d, l) in first.iter().zip(&image.layers) {
        assert_eq!(d.file_name().unwrap().to_str().unwrap(), l.chain_id.hex());
    }
    // Mark the base layer's directory; a second unpack must reuse it, not extract again.
    fs::write(first[0].join("marker"), b"").unwrap();
    let again = store.unpack(&image).unwrap();
    assert_eq!(first, again);
    assert!(again[0].join("marker").exists());
    assert!(
        fs::read_dir(store.root().join("tmp"))
            .unwrap()
            .next()
            .is_none()
    );
}
