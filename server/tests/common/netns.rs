//! A real HTTP server a tenant's pod can "be": it runs in a network
//! namespace of its own, reached over a veth pair with addresses of its
//! own (the API server refuses loopback Endpoints), and answers every GET
//! with the status written in a file the test changes.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Answers each GET with the status in `argv[2]` and a body naming it.
const SERVER: &str = r#"
import http.server, sys
address, status_file = sys.argv[1], sys.argv[2]
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(open(status_file).read().strip() or "200")
        body = ("status %d from the test's server at %s" % (code, self.path)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer((address, 8080), Answer).serve_forever()
"#;

/// The server's port.
pub const PORT: u16 = 8080;

pub struct HealthServer {
    /// The address pods "are" at.
    pub ip: [u8; 4],
    name: String,
    status_file: PathBuf,
    _dir: tempfile::TempDir,
    child: Child,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("run ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl HealthServer {
    /// Makes the namespace, the veth pair (`10.213.<n>.1` here,
    /// `10.213.<n>.2` there) and starts the server answering 200. `n` is
    /// claimed by making the namespace `tnh<n>`, which fails while another
    /// test process holds it, so tests running at once never share a
    /// subnet.
    pub fn start() -> HealthServer {
        let first = std::process::id() % 250;
        let mut slots = (0..250u32).filter_map(|i| u8::try_from((first + i) % 250 + 1).ok());
        let claimed = slots.find(|n| {
            Command::new("ip")
                .args(["netns", "add", &format!("tnh{n}")])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        let n = claimed.expect("a free 10.213.<n>.0/30 (ip netns add tnh<n>)");
        let name = format!("tnh{n}");
        let (host, peer) = (format!("{name}h"), format!("{name}p"));
        // A link left by a test process that was killed.
        let _ = Command::new("ip")
            .args(["link", "del", &host])
            .stderr(Stdio::null())
            .status();
        ip(&["link", "add", &host, "type", "veth", "peer", "name", &peer]);
        ip(&["link", "set", &peer, "netns", &name]);
        ip(&["addr", "add", &format!("10.213.{n}.1/30"), "dev", &host]);
        ip(&["link", "set", &host, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", name.as_str(), "ip"];
            all.extend(args);
            ip(&all);
        };
        inside(&["addr", "add", &format!("10.213.{n}.2/30"), "dev", &peer]);
        inside(&["link", "set", &peer, "up"]);
        inside(&["link", "set", "lo", "up"]);
        let dir = tempfile::tempdir().expect("tempdir");
        let status_file = dir.path().join("status");
        std::fs::write(&status_file, "200").expect("status file");
        let address = format!("10.213.{n}.2");
        let child = Command::new("ip")
            .args(["netns", "exec", &name, "python3", "-c", SERVER, &address])
            .arg(&status_file)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the health server");
        let server = HealthServer {
            ip: [10, 213, n, 2],
            name,
            status_file,
            _dir: dir,
            child,
        };
        server.wait_listening(&address);
        server
    }

    fn wait_listening(&self, address: &str) {
        let to = format!("{address}:{PORT}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(&to).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the health server never listened on {to}");
    }

    /// What every GET answers from now on.
    pub fn answer(&self, status: u16) {
        std::fs::write(&self.status_file, status.to_string()).expect("status file");
    }
}

impl Drop for HealthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}h", self.name)])
            .status();
    }
}
