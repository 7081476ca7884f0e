//! A real `redis-server` for tests: started on a free loopback port, with no persistence,
//! and killed when dropped (a panicking test leaves no process behind). Missing
//! `redis-server` is a failure with the command that installs it, never a skipped test.
//! Shared by the library's unit tests (through `#[path]`), the integration tests and the
//! shared-quota benchmark.
// Each includer uses a different part of it.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server may take to accept connections on a busy machine.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `redis-server`, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts a server on a free loopback port. Panics, saying how to install Redis, when
    /// `redis-server` is not on the PATH.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts a server on `port` (e.g. the port of one stopped before).
    pub fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => panic!(
                "cannot start redis-server ({e}): these tests need a real Redis; install it \
                 with `apt-get install redis-server` (.ci/run does)"
            ),
        };
        let mut server = Self {
            child: Some(child),
            port,
        };
        server.wait_until_ready();
        server
    }

    /// The URL clients connect with.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server now (its data is gone); the port can be reused by `start_on`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while started.elapsed() < START_TIMEOUT {
            let exited = self.child.as_mut().map(|child| child.try_wait());
            if let Some(Ok(Some(status))) = exited {
                panic!(
                    "redis-server on port {} exited at start: {status}",
                    self.port
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on port {} did not accept connections within {START_TIMEOUT:?}",
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0));
    let port = listener.and_then(|l| l.local_addr()).map(|a| a.port());
    port.unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}
