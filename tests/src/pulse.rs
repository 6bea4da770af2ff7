//! A private PulseAudio daemon with a virtual microphone, one per test.
//!
//! Recipe from shared/TESTING-MEDIA.md: a null sink `vsink` whose monitor is remapped into a
//! source `vmic` (the default source). Whatever is played into `vsink` is what a program
//! recording the default ALSA device (through the `pulse` plugin) hears. A background `parec`
//! keeps the sink running in real time, so a fresh capture gets data within ~10 ms.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{require, run_ok};

#[derive(Debug)]
pub struct VirtualMic {
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    keep_busy: Option<Child>,
}

impl VirtualMic {
    pub fn start() -> Self {
        require(&["pulseaudio", "pactl", "parec", "paplay"]);
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = dir.path().join("runtime");
        std::fs::create_dir(&runtime).expect("runtime dir");
        set_private(&runtime);
        let mut mic = Self {
            dir,
            daemon: None,
            keep_busy: None,
        };
        let log = std::fs::File::create(mic.dir.path().join("pulseaudio.log")).expect("log file");
        let daemon = mic
            .command("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "-L",
                "module-native-protocol-unix auth-anonymous=1",
                "-L",
                "module-null-sink sink_name=vsink rate=48000 channels=1",
                "-L",
                "module-remap-source master=vsink.monitor source_name=vmic",
                "-L",
                "module-always-sink",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            // Its own process group, so signals meant for the test do not reach it.
            .process_group(0)
            .spawn()
            .expect("start pulseaudio");
        mic.daemon = Some(daemon);
        mic.wait_ready();
        run_ok(mic.command("pactl").args(["set-default-source", "vmic"]));
        let keep_busy = mic
            .command("parec")
            .args(["--latency-msec=10", "--device=vsink.monitor", "--raw"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start parec");
        mic.keep_busy = Some(keep_busy);
        mic.wait_until_sink_running();
        mic.warm_up();
        mic
    }

    /// Environment that points a process at this daemon.
    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("XDG_RUNTIME_DIR", self.dir.path().join("runtime").into_os_string()),
            ("HOME", self.dir.path().as_os_str().to_owned()),
            (
                "PULSE_SERVER",
                OsString::from(format!("unix:{}", self.socket().display())),
            ),
        ]
    }

    /// A command that talks to this daemon.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.env());
        cmd
    }

    /// Plays a WAV into the virtual microphone; returns when it has played.
    pub fn play(&self, wav: &Path) {
        run_ok(self.command("paplay").arg("--device=vsink").arg(wav));
    }

    /// Stops the daemon, as if the microphone were unplugged.
    pub fn pull_the_plug(&mut self) {
        if let Some(mut busy) = self.keep_busy.take() {
            let _ = busy.kill();
            let _ = busy.wait();
        }
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("runtime/pulse/native")
    }

    /// The sink only runs in real time once the keep-busy reader is attached; before that,
    /// captures receive audio in 2-second blocks and lose the start.
    fn wait_until_sink_running(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let out = self
                .command("pactl")
                .args(["list", "short", "sources"])
                .output()
                .expect("run pactl");
            let listing = String::from_utf8_lossy(&out.stdout);
            if listing
                .lines()
                .any(|l| l.contains("vsink.monitor") && l.ends_with("RUNNING"))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "vsink.monitor never started running:\n{listing}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The first capture from `vmic` on a fresh daemon gets its first audio only after ~2 s (the
    /// null sink's idle block); every later capture is real-time. Take that first one here, by
    /// reading 100 ms, so the test's recording starts on a warm path.
    fn warm_up(&self) {
        let mut reader = self
            .command("parec")
            .args([
                "--device=vmic",
                "--raw",
                "--format=s16le",
                "--channels=1",
                "--rate=48000",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start parec");
        let mut first = vec![0u8; 9600];
        let read = reader.stdout.take().map(|mut out| out.read_exact(&mut first));
        let _ = reader.kill();
        let _ = reader.wait();
        assert!(matches!(read, Some(Ok(()))), "no audio from vmic: {read:?}");
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ok = self
                .command("pactl")
                .arg("info")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            if let Some(Ok(Some(status))) = self.daemon.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(self.dir.path().join("pulseaudio.log")).unwrap_or_default();
                panic!("pulseaudio exited ({status}) before it was ready:\n{log}");
            }
            assert!(Instant::now() < deadline, "pulseaudio did not become ready within 15 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for VirtualMic {
    fn drop(&mut self) {
        self.pull_the_plug();
    }
}

fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
}
