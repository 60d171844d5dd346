//! What an overlay network is made of on one server: a VXLAN device (ip-link(8)
//! `type vxlan`, RFC 7348) in the network's own namespace, whose forwarding database names
//! the *other servers'* addresses as tunnel endpoints.
//!
//! dockerd makes one namespace per overlay network (a file under `EXEC_ROOT/netns/`, bind
//! mounted in dockerd's mount namespace — so we look from inside that namespace with
//! nsenter(1)). In it, a bridge joins the local containers' veths and the VXLAN device; a
//! frame for a container on another server leaves through the VXLAN device, wrapped in a
//! UDP datagram to port 4789 of that server's `eth0`.

use crate::server::Server;
use crate::{Result, checked};

/// Lists, for every namespace dockerd made on `server`, its VXLAN devices (`ip -d link show
/// type vxlan`: id, local address, port) and the forwarding entries with a remote `dst`
/// (`bridge fdb show`): the tunnel endpoints. Namespaces without VXLAN print nothing.
pub fn vxlan_view(server: &Server) -> Result<String> {
    let script = r#"for ns in "$1"/netns/*; do
  links=$(nsenter --net="$ns" ip -d -o link show type vxlan 2>/dev/null) || continue
  [ -n "$links" ] || continue
  echo "namespace $(basename "$ns"):"
  echo "$links" | sed 's/^[0-9]*: \([^@:]*\).*\(vxlan id [0-9]*\).*\(dstport [0-9]*\).*/  \1: \2 \3/'
  nsenter --net="$ns" bridge fdb show | grep ' dst ' | sed 's/^/  fdb: /'
done"#;
    let exec_root = server.dir().join("exec");
    let out = server
        .nsenter("sh")
        .args(["-c", script, "vxlan-view"])
        .arg(exec_root)
        .output();
    checked("looking for VXLAN devices in dockerd's namespaces", out)
}
