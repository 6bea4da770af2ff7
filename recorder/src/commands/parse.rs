//! Values typed on the command line.

use std::time::Duration;

/// "24k", "24K", "24kbps", "24000" → bits per second, within what Opus can do.
pub fn parse_bitrate(text: &str) -> Result<u32, String> {
    let lower = text.trim().to_ascii_lowercase();
    let digits = lower.trim_end_matches("bps").trim_end_matches("bit/s");
    let (number, scale) = match digits.strip_suffix('k') {
        Some(n) => (n, 1000.0),
        None => (digits, 1.0),
    };
    let bits = number
        .parse::<f64>()
        .map(|n| (n * scale).round())
        .map_err(|_| format!("{text:?} is not a bitrate; try 24k"))?;
    if !(6_000.0..=510_000.0).contains(&bits) {
        return Err(format!("{text} is outside Opus's range of 6k–510k"));
    }
    Ok(bits as u32)
}

/// "90s", "10m", "1h30m", or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Duration::from_secs_f64(secs),
        Ok(_) => return Err("the duration must be positive".into()),
        Err(_) => humantime::parse_duration(text.trim()).map_err(|e| format!("{text:?}: {e}; try 90s or 10m"))?,
    };
    if duration.is_zero() {
        return Err("the duration must be positive".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitrates_parse() {
        assert_eq!(parse_bitrate("24k"), Ok(24_000));
        assert_eq!(parse_bitrate("32000"), Ok(32_000));
        assert_eq!(parse_bitrate("12.5kbps"), Ok(12_500));
        assert!(parse_bitrate("1k").is_err());
        assert!(parse_bitrate("fast").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
