//! Counters every layer adds to (errors by kind, transcription's real-time factor through the
//! `metrics` facade); the Prometheus listener that shows them is `http::metrics`.

pub fn database_error(err: &db::Error) {
    tracing::debug!("database error: {err}");
    metrics::counter!("offbeat_errors_total", "kind" => "database").increment(1);
}

pub fn storage_error() {
    metrics::counter!("offbeat_errors_total", "kind" => "storage").increment(1);
}
