//! Counters every layer adds to (errors by kind, transcription's real-time factor through the
//! `metrics` facade); the Prometheus listener that shows them is `http::metrics`.

/// Says what each family is (Prometheus' `# HELP` lines), once the recorder is installed.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by route, method and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "How long HTTP requests took to answer, by route, method and status"
    );
    describe_counter!(
        "offbeat_connections_refused_total",
        "Connections answered 503 and closed because the open-connection cap was reached"
    );
    describe_counter!(
        "offbeat_errors_total",
        "Failures of the database or the storage, by kind"
    );
    describe_counter!(
        "offbeat_password_checks_refused_total",
        "Sign-ins and password changes answered 503 because too many password checks were waiting"
    );
    describe_gauge!(
        "offbeat_upload_sessions_open",
        "Resumable uploads started and not yet finished or abandoned"
    );
    describe_gauge!("offbeat_jobs_pending", "Transcription jobs waiting to run");
    describe_gauge!(
        "offbeat_jobs_oldest_pending_seconds",
        Unit::Seconds,
        "How long the oldest waiting transcription job has been due"
    );
    describe_histogram!(
        "offbeat_transcription_real_time_factor",
        "Seconds of transcription work per second of audio"
    );
    describe_histogram!(
        "offbeat_compose_seconds",
        Unit::Seconds,
        "How long making a camera take's head and body one object in S3 took"
    );
    describe_counter!(
        "offbeat_compose_sent_bytes_total",
        Unit::Bytes,
        "Bytes the server read and sent to compose camera takes (their heads and first parts)"
    );
    describe_counter!(
        "offbeat_compose_copied_bytes_total",
        Unit::Bytes,
        "Bytes S3 copied on its own to compose camera takes"
    );
}

/// A clip's head and body made one object: how long it took, what the server sent, what S3
/// copied.
pub fn composed(took: std::time::Duration, sent: u64, copied: u64) {
    metrics::histogram!("offbeat_compose_seconds").record(took.as_secs_f64());
    metrics::counter!("offbeat_compose_sent_bytes_total").increment(sent);
    metrics::counter!("offbeat_compose_copied_bytes_total").increment(copied);
}

pub fn database_error(err: &db::Error) {
    tracing::debug!("database error: {err}");
    metrics::counter!("offbeat_errors_total", "kind" => "database").increment(1);
}

pub fn storage_error() {
    metrics::counter!("offbeat_errors_total", "kind" => "storage").increment(1);
}

/// A password check or hash refused because too many were waiting (see
/// `auth::password_work`).
pub fn password_work_refused() {
    metrics::counter!("offbeat_password_checks_refused_total").increment(1);
}
