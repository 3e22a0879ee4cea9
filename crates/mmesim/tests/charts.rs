//! The three charts as pictures, read back from their SVG: the miss-ratio
//! curve joins its points in size order; the timeline's p99 is on a log
//! axis, the warm-up and the faults are marked and labelled, counts have
//! whole-number ticks, a long run is in hours and a run of one minute still
//! draws its points; the frontier's cost ticks go below $1 and above $10
//! without colliding, its legend says what hollow means and each point
//! carries its instance count. Every chart is well-formed XML and the same
//! inputs give the same bytes.

use mmesim::chart::{
    frontier_svg, line_chart_svg, ScatterGroup, ScatterPoint, Series, Timeline, TIMELINE_HOURS_AFTER_MINUTES,
};
use mmesim::core::{FaultWindow, MinuteMetrics};
use mmesim::engine::SimTime;
use std::path::{Path, PathBuf};

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mmesim-charts-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks that `svg` is well-formed enough for a browser: one root, every
/// element closed in order, attribute values quoted, no raw `<` or `&` in
/// text.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "stray `>` in text {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity), "raw `&` in text {text:?}");
        }
        let close = rest[open..].find('>').unwrap_or_else(|| panic!("unclosed tag at {}", &rest[open..])) + open;
        let tag = &rest[open + 1..close];
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "</{name}> closes the wrong element");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or_default().to_string();
            if stack.is_empty() {
                roots += 1;
            }
            stack.push(name);
        } else if stack.is_empty() {
            roots += 1;
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    assert_eq!(roots, 1, "one root element");
    assert!(svg.trim_start().starts_with("<svg"), "not an SVG");
}

/// A `<text>` element: its x, y and content.
#[derive(Debug, Clone, PartialEq)]
struct Text {
    x: f64,
    y: f64,
    text: String,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

fn texts(svg: &str) -> Vec<Text> {
    svg.split("<text ")
        .skip(1)
        .map(|t| {
            let (tag, body) = t.split_once('>').unwrap();
            let num = |n: &str| attr(&format!(" {tag}"), n).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            Text { x: num("x"), y: num("y"), text: body.split("</text>").next().unwrap().trim().to_string() }
        })
        .collect()
}

fn has_text(svg: &str, s: &str) -> bool {
    texts(svg).iter().any(|t| t.text == s)
}

/// The points of every `<polyline>` stroked in `color`.
fn polylines(svg: &str, color: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline ")
        .skip(1)
        .map(|t| &t[..t.find("/>").unwrap()])
        .filter(|t| attr(&format!(" {t}"), "stroke").as_deref() == Some(color))
        .map(|t| {
            attr(&format!(" {t}"), "points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// `<circle>` elements: (fill, count).
fn circles(svg: &str, fill: &str) -> usize {
    svg.split("<circle ").skip(1).filter(|t| attr(&format!(" {t}"), "fill").as_deref() == Some(fill)).count()
}

#[test]
fn the_miss_ratio_curve_joins_its_points_in_size_order() {
    let d = dir("mrc");
    // The order of `--size 10%,1%,50%,5%`.
    let unsorted = vec![
        Series { label: "lru".into(), points: vec![(10.0, 0.55), (1.0, 0.83), (50.0, 0.21), (5.0, 0.65)] },
        Series { label: "belady".into(), points: vec![(10.0, 0.32), (1.0, 0.61), (50.0, 0.09), (5.0, 0.42)] },
    ];
    let sorted: Vec<Series> = unsorted
        .iter()
        .map(|s| {
            let mut p = s.points.clone();
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { label: s.label.clone(), points: p }
        })
        .collect();
    let (a, b) = (d.join("a.svg"), d.join("b.svg"));
    line_chart_svg(&a, "mrc", "cache size (%)", "miss ratio", &unsorted, true).unwrap();
    line_chart_svg(&b, "mrc", "cache size (%)", "miss ratio", &sorted, true).unwrap();
    let svg = read(&a);
    assert_well_formed(&svg);
    assert_eq!(svg, read(&b), "the order of the sizes does not change the picture");
    // Each line runs left to right, and down (more cache, fewer misses).
    for color in ["#1F77B4", "#FF7F0E"] {
        let lines: Vec<_> = polylines(&svg, color).into_iter().filter(|l| l.len() == 4).collect();
        assert_eq!(lines.len(), 1, "{color}: one line of 4 points");
        for w in lines[0].windows(2) {
            assert!(w[1].0 > w[0].0 && w[1].1 > w[0].1, "{color}: {:?}", lines[0]);
        }
    }
    for tick in ["1", "2", "5", "10", "20", "50"] {
        assert!(has_text(&svg, tick), "x tick {tick}");
    }
}

fn minute(k: u64, invocations: u64, p99: f64, loaded: u64, instances: u32) -> MinuteMetrics {
    MinuteMetrics {
        minute: k,
        invocations,
        model_cache_hit: 0.9,
        p99_latency_ms: p99,
        loaded_model_count: loaded,
        instance_count: instances,
        ..Default::default()
    }
}

fn timeline(minutes: impl IntoIterator<Item = MinuteMetrics>) -> Timeline {
    let mut t = Timeline::default();
    for m in minutes {
        t.add(&m);
    }
    t
}

/// The text of the tick labels of the panel whose caption starts `caption`
/// (those left of the plot areas, between the caption and the next one).
fn y_ticks(svg: &str, caption: &str) -> Vec<String> {
    let t = texts(svg);
    let captions: Vec<&Text> =
        t.iter().filter(|t| t.x == 450.0 && t.text.chars().next().is_some_and(|c| c.is_alphabetic())).collect();
    let at = captions.iter().position(|c| c.text.starts_with(caption)).unwrap_or_else(|| panic!("{caption}"));
    let (top, bottom) = (captions[at].y, captions.get(at + 1).map_or(f64::INFINITY, |c| c.y));
    t.iter().filter(|t| t.x < 64.0 && t.y > top && t.y < bottom).map(|t| t.text.clone()).collect()
}

#[test]
fn the_timeline_draws_p99_on_a_log_axis_so_a_spike_does_not_flatten_the_rest() {
    let d = dir("log");
    // A cold start of 40 s, then 100 and 200 ms alternately, and one
    // minute where nothing completed.
    let t = timeline((0..30).map(|k| {
        let p99 = match k {
            0 => 40_000.0,
            12 => 0.0,
            k if k % 2 == 0 => 100.0,
            _ => 200.0,
        };
        minute(k, 600, p99, 50, 4)
    }));
    let path = d.join("t.svg");
    t.svg(&path, "log", &[]).unwrap();
    let svg = read(&path);
    assert_well_formed(&svg);
    assert!(has_text(&svg, "p99 latency, ms (log scale; 1 point without a completed request left out)"));
    let ticks = y_ticks(&svg, "p99 latency");
    for tick in ["100", "1000", "10000"] {
        assert!(ticks.contains(&tick.to_string()), "p99 tick {tick} in {ticks:?}");
    }
    // The p99 line (green) breaks at the empty minute: two runs, 12 + 17
    // points; 100 and 200 ms are far apart although 40 s is on the axis.
    let lines = polylines(&svg, "#2CA02C");
    assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), [12, 17]);
    let (y100, y200) = (lines[1][1].1, lines[1][0].1);
    assert!(y100 - y200 >= 10.0, "100 ms at {y100}, 200 ms at {y200}: the steady state is flattened");
}

#[test]
fn the_timeline_marks_the_warm_up_and_labels_the_faults() {
    let d = dir("marks");
    let t = timeline((0..30).map(|k| minute(k, 600, 100.0, 50, 4))).with_warmup(300.0);
    let faults = [
        FaultWindow {
            start: SimTime::from_secs(1200),
            end: Some(SimTime::from_secs(1800)),
            what: "zone zone-b out".into(),
        },
        FaultWindow { start: SimTime::from_secs(600), end: None, what: "instance 1 fails".into() },
    ];
    let path = d.join("t.svg");
    t.svg(&path, "marks", &faults).unwrap();
    let svg = read(&path);
    assert_well_formed(&svg);
    for label in ["warm-up", "zone zone-b out", "instance 1 fails (for good)", "time, minutes"] {
        assert!(has_text(&svg, label), "{label}");
    }
    // A grey band per panel, minutes 0–5 of 30: a sixth of the red band
    // of minutes 10–30.
    let bands = |fill: &str| -> Vec<(f64, f64)> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| format!(" {r}"))
            .filter(|r| attr(r, "fill").as_deref() == Some(fill))
            .map(|r| (attr(&r, "x").unwrap().parse().unwrap(), attr(&r, "width").unwrap().parse().unwrap()))
            .collect()
    };
    let (grey, red) = (bands("#787878"), bands("#D62728"));
    assert_eq!(grey.len(), 5, "the warm-up in every panel");
    assert_eq!(red.len(), 10, "two faults in every panel");
    let (warm, lost) = (grey[0].1, red[1].1);
    assert!((lost / warm - 4.0).abs() < 0.05, "warm-up {warm} px, minutes 10–30 {lost} px");
    // Without a warm-up, no band and no label.
    let t = timeline((0..30).map(|k| minute(k, 600, 100.0, 50, 4)));
    t.svg(&path, "marks", &[]).unwrap();
    let svg = read(&path);
    assert!(!has_text(&svg, "warm-up") && !svg.contains("#787878"));
}

#[test]
fn the_timeline_counts_have_whole_number_ticks() {
    let d = dir("counts");
    let t = timeline((0..30).map(|k| minute(k, 6000 + k % 3 * 50, 100.0 + k as f64, 180 + k % 5, 4)));
    let path = d.join("t.svg");
    t.svg(&path, "counts", &[]).unwrap();
    let svg = read(&path);
    assert_eq!(y_ticks(&svg, "requests per minute"), ["0", "2000", "4000", "6000"]);
    assert_eq!(y_ticks(&svg, "loaded models"), ["0", "50", "100", "150"]);
    assert_eq!(y_ticks(&svg, "instances in service"), ["0", "1", "2", "3", "4"]);
    assert_eq!(y_ticks(&svg, "hit ratio"), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
}

#[test]
fn a_timeline_longer_than_three_hours_is_in_hours() {
    let d = dir("hours");
    let path = d.join("t.svg");
    let at = |n: u64| {
        timeline((0..n).map(|k| minute(k, 600, 100.0, 50, 4))).svg(&path, "t", &[]).unwrap();
        read(&path)
    };
    let svg = at(TIMELINE_HOURS_AFTER_MINUTES);
    assert!(has_text(&svg, "time, minutes") && has_text(&svg, "180") && !has_text(&svg, "time, hours"));
    let svg = at(1440);
    assert!(has_text(&svg, "time, hours") && !has_text(&svg, "time, minutes"));
    let bottom: Vec<String> = {
        let t = texts(&svg);
        let y = t.iter().filter(|t| t.text == "24").map(|t| t.y).fold(0.0, f64::max);
        t.into_iter().filter(|t| t.y == y).map(|t| t.text).collect()
    };
    assert_eq!(bottom, ["0", "2", "4", "6", "8", "10", "12", "14", "16", "18", "20", "22", "24"]);
    // Ten days, in buckets of 16 minutes: days of hours.
    let svg = at(14_400);
    assert!(has_text(&svg, "time, hours (one point per 16 minutes)") && has_text(&svg, "240"));
}

#[test]
fn a_run_of_one_minute_draws_its_points_and_says_so() {
    let d = dir("minute");
    let path = d.join("t.svg");
    timeline([minute(0, 2943, 45_000.0, 180, 4)]).svg(&path, "short", &[]).unwrap();
    let svg = read(&path);
    assert_well_formed(&svg);
    assert!(has_text(&svg, "run of a minute or less: one point per series (figures are per minute)"));
    // A marker per panel, each with its value.
    let markers: usize = PALETTE_5.iter().map(|c| circles(&svg, c)).sum();
    assert_eq!(markers, 5, "one marker per panel");
    for value in ["2943", "0.9", "45000", "180", "4"] {
        assert!(has_text(&svg, value), "value {value}");
    }

    // The same from a 30-second run.
    let s = mmesim::Scenario::from_toml_str(
        r#"
        name = "thirty-seconds"
        duration_s = 30.0
        [cluster]
        instance_type = "ml.m5.xlarge"
        instances = 2
        [models]
        count = 10
        [workload]
        arrival = { process = "poisson", rate_per_s = 20.0 }
        "#,
        "short.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut t = Timeline::default();
    s.run_into(mmesim::RunOptions::default(), &mut t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.len(), 1);
    t.svg(&path, "thirty seconds", &[]).unwrap();
    let svg = read(&path);
    assert_eq!(PALETTE_5.iter().map(|c| circles(&svg, c)).sum::<usize>(), 5);
    assert!(polylines(&svg, "#1F77B4").iter().all(|l| l.len() <= 1), "no line of one point");
}

/// The colours of the timeline's five panels.
const PALETTE_5: [&str; 5] = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD"];

fn groups() -> Vec<ScatterGroup> {
    let p =
        |cost: f64, p99_ms: f64, passes: bool, n: u32| ScatterPoint { cost, p99_ms, passes, label: format!("{n}×") };
    vec![
        ScatterGroup {
            label: "ml.m5.large".into(),
            points: (1..=6).map(|n| p(0.115 * n as f64, 60_000.0 / n as f64, false, n)).collect(),
        },
        ScatterGroup {
            label: "ml.m5.4xlarge".into(),
            points: (1..=3).map(|n| p(0.922 * n as f64, 93.7, true, n)).collect(),
        },
        ScatterGroup {
            label: "ml.g4dn.16xlarge".into(),
            points: vec![p(5.44, 14_000.0, false, 1), p(10.88, 126.0, true, 2), p(32.64, 93.7, true, 6)],
        },
    ]
}

#[test]
fn the_frontier_has_dollar_ticks_below_1_and_above_10_that_never_collide() {
    let d = dir("frontier-ticks");
    let path = d.join("f.svg");
    frontier_svg(&path, "frontier", &groups(), &[(0.115, 60_000.0), (0.922, 93.7)], 500.0).unwrap();
    let svg = read(&path);
    assert_well_formed(&svg);
    let t = texts(&svg);
    let y = t.iter().find(|t| t.text == "$1").map(|t| t.y).expect("a $1 tick");
    let ticks: Vec<&Text> = t.iter().filter(|t| t.y == y && t.text.starts_with('$')).collect();
    let labels: Vec<&str> = ticks.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(labels, ["$0.1", "$0.2", "$0.5", "$1", "$2", "$5", "$10", "$20"]);
    // Centred labels at least their half-widths apart (6 px a character).
    for w in ticks.windows(2) {
        let room = 3.0 * (w[0].text.len() + w[1].text.len()) as f64;
        assert!(w[1].x - w[0].x >= room + 10.0, "{:?} and {:?} collide", w[0], w[1]);
    }
    for tick in ["100", "1000", "10000"] {
        assert!(has_text(&svg, tick), "p99 tick {tick}");
    }
}

#[test]
fn the_frontier_says_hollow_fails_and_labels_every_point_with_its_count() {
    let d = dir("frontier-legend");
    let path = d.join("f.svg");
    let g = groups();
    frontier_svg(&path, "frontier", &g, &[(0.115, 60_000.0), (0.922, 93.7)], 500.0).unwrap();
    let svg = read(&path);
    for label in ["filled: meets every target", "hollow: fails a target", "cost / p99 frontier", "p99 target 500 ms"] {
        assert!(has_text(&svg, label), "legend {label}");
    }
    // Every point has its count next to it.
    let t = texts(&svg);
    let counts = t.iter().filter(|t| t.text.ends_with('×')).count();
    assert_eq!(counts, 12);
    for n in ["1×", "2×", "3×", "6×"] {
        assert!(has_text(&svg, n), "{n}");
    }
    // Hollow: the 7 failing points and the legend's example.
    assert_eq!(circles(&svg, "none"), 8);
    // Deterministic.
    let again = d.join("g.svg");
    frontier_svg(&again, "frontier", &g, &[(0.115, 60_000.0), (0.922, 93.7)], 500.0).unwrap();
    assert_eq!(svg, read(&again));
}
