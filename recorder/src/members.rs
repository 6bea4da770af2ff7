//! `recorder members`: who is around now — each teammate's local time, their hours and
//! whether they are inside them — and the hours everyone shares today, in your time.

use serde_json::Value;

/// The members answer (`GET /api/v1/members`) as lines for a terminal.
pub fn render_members(team: &Value) -> String {
    let members = team["members"].as_array().cloned().unwrap_or_default();
    let name_width = members
        .iter()
        .map(|m| display_name(m).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for member in &members {
        let name = display_name(member);
        let pad = " ".repeat(name_width.saturating_sub(name.chars().count()));
        out.push_str(&format!(
            "{} {name}{pad}  {}  {:<8} {}  ({})\n",
            if member["working_now"].as_bool().unwrap_or(false) {
                "●"
            } else {
                "○"
            },
            member["local_time"].as_str().unwrap_or("--:--"),
            if member["working_now"].as_bool().unwrap_or(false) {
                "working"
            } else {
                "away"
            },
            member["time_zone"].as_str().unwrap_or_default(),
            hours(&member["working_hours"]),
        ));
    }
    if let Some(summary) = team["shared_hours"]["summary"].as_str() {
        out.push_str(summary);
        out.push('\n');
    }
    out
}

fn display_name(member: &Value) -> String {
    let name = member["name"].as_str().unwrap_or("someone");
    let mut shown = name.to_owned();
    if member["role"] == "admin" {
        shown.push_str(" (admin)");
    }
    if member["is_you"].as_bool().unwrap_or(false) {
        shown.push_str(" (you)");
    }
    shown
}

/// `{"mon": ["09:00", "17:00"], …}` as `mon 09:00–17:00, …`, in weekday order.
fn hours(hours: &Value) -> String {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let spans: Vec<String> = days
        .iter()
        .filter_map(|day| {
            let span = hours[*day].as_array()?;
            Some(format!("{day} {}–{}", span.first()?.as_str()?, span.get(1)?.as_str()?))
        })
        .collect();
    if spans.is_empty() {
        "no working days".to_owned()
    } else {
        spans.join(", ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn members_read_as_a_table_with_the_shared_hours() {
        let team = serde_json::json!({
            "members": [
                {"name": "Olive", "role": "admin", "time_zone": "Europe/Berlin", "local_time": "15:04",
                 "working_now": true, "is_you": true, "working_hours": {"mon": ["09:00", "17:00"]}},
                {"name": "Manu", "role": "member", "time_zone": "Asia/Manila", "local_time": "22:04",
                 "working_now": false, "is_you": false, "working_hours": {}},
            ],
            "shared_hours": {"summary": "Today there is no hour when everyone is working."}
        });
        let text = render_members(&team);
        assert!(
            text.contains("● Olive (admin) (you)  15:04  working  Europe/Berlin  (mon 09:00–17:00)"),
            "{text}"
        );
        assert!(text.contains("○ Manu"), "{text}");
        assert!(
            text.contains("22:04  away     Asia/Manila  (no working days)"),
            "{text}"
        );
        assert!(text.ends_with("Today there is no hour when everyone is working.\n"));
    }
}
