//! Charts as SVG (plotters): miss-ratio curves, run timelines and the
//! recommender's cost / p99 frontier.
//!
//! The ticks are chosen here rather than by plotters, so that they mean
//! something and never collide: 1-2-5 ticks (or 1–9, or one per decade, as
//! the axis's length allows) on log axes, whole numbers on axes that count,
//! minutes or hours on a timeline's time axis. Every chart is a pure
//! function of its inputs: the same inputs give the same SVG bytes.

use crate::error::Error;
use std::path::Path;

/// One line of a chart: a label and its (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, in any order: the line joins them in x order.
    pub points: Vec<(f64, f64)>,
}

const PALETTE: [plotters::style::RGBColor; 14] = [
    plotters::style::RGBColor(31, 119, 180),
    plotters::style::RGBColor(255, 127, 14),
    plotters::style::RGBColor(44, 160, 44),
    plotters::style::RGBColor(214, 39, 40),
    plotters::style::RGBColor(148, 103, 189),
    plotters::style::RGBColor(140, 86, 75),
    plotters::style::RGBColor(227, 119, 194),
    plotters::style::RGBColor(127, 127, 127),
    plotters::style::RGBColor(188, 189, 34),
    plotters::style::RGBColor(23, 190, 207),
    plotters::style::RGBColor(0, 0, 0),
    plotters::style::RGBColor(174, 199, 232),
    plotters::style::RGBColor(255, 187, 120),
    plotters::style::RGBColor(152, 223, 138),
];

/// The size of the small text of the charts (tick labels, notes), as
/// given to plotters; it draws it at 0.8 of that many pixels.
const SMALL_FONT: f64 = 12.0;

/// Estimated width in pixels of `text` in the small font (the SVG viewer
/// chooses the font; this is generous for a sans-serif one).
fn text_width(text: &str) -> f64 {
    2.0 + text.chars().count() as f64 * SMALL_FONT * 0.8 * 0.65
}

/// `m × 10^e`, rounded once (`5 × 10^-1` is exactly the double `0.5`).
fn tick_value(m: f64, e: i32) -> f64 {
    if e >= 0 {
        m * 10f64.powi(e)
    } else {
        m / 10f64.powi(-e)
    }
}

/// Mantissas of log-axis ticks per decade, densest first.
const LOG_MANTISSAS: [&[f64]; 3] = [&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], &[1.0, 2.0, 5.0], &[1.0]];

/// Ticks of a log axis over `lo..=hi` drawn `px` pixels long, at least
/// `gap_px` pixels apart: the densest of 1–9, 1-2-5 and 1 per decade that
/// keeps them apart, else one power of ten every k decades. A range too
/// narrow for two such ticks gets 1–9 per decade thinned to the gap, and
/// at worst its two ends.
pub(crate) fn log_ticks(lo: f64, hi: f64, px: f64, gap_px: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo && px > 0.0) {
        return Vec::new();
    }
    let per_decade = px / (hi / lo).log10();
    let (e0, e1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    let within = |m: &[f64], every: i32| -> Vec<f64> {
        let mut v = Vec::new();
        for e in (e0..=e1).filter(|e| e.rem_euclid(every) == 0) {
            for &k in m {
                let t = tick_value(k, e);
                if t >= lo * (1.0 - 1e-9) && t <= hi * (1.0 + 1e-9) {
                    v.push(t);
                }
            }
        }
        v
    };
    let min_gap = |m: &[f64]| {
        let wrap = (10.0 * m[0] / m[m.len() - 1]).log10();
        m.windows(2).map(|w| (w[1] / w[0]).log10()).fold(wrap, f64::min)
    };
    for m in LOG_MANTISSAS {
        if min_gap(m) * per_decade >= gap_px {
            let t = within(m, 1);
            if t.len() >= 2 {
                return t;
            }
            // Too narrow for this set: thin the finest one below.
            let mut kept: Vec<f64> = Vec::new();
            for t in within(LOG_MANTISSAS[0], 1) {
                if kept.last().is_none_or(|&l| (t / l).log10() * per_decade >= gap_px) {
                    kept.push(t);
                }
            }
            if kept.len() < 2 {
                kept = vec![lo, hi];
            }
            return kept;
        }
    }
    let every = (gap_px / per_decade).ceil().max(1.0) as i32;
    let t = within(LOG_MANTISSAS[2], every);
    if t.len() >= 2 {
        t
    } else {
        within(LOG_MANTISSAS[2], 1)
    }
}

/// The light grid lines of a log axis: 1–9 per decade over `lo..=hi`.
fn log_minor(lo: f64, hi: f64) -> Vec<f64> {
    log_ticks(lo, hi, 1e9, 0.0)
}

/// Widens `lo..hi` (both > 0) about its geometric middle to at least a
/// factor `min_ratio`, so that a log axis over it has ticks.
fn widen_log(lo: f64, hi: f64, min_ratio: f64) -> (f64, f64) {
    if hi / lo >= min_ratio {
        return (lo, hi);
    }
    let mid = (lo * hi).sqrt();
    let half = min_ratio.sqrt();
    (mid / half, mid * half)
}

/// A tick label: at most three significant digits below 1,000, no
/// trailing zeros (`0.5`, `2`, `93.7`, `20000`).
pub(crate) fn num_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    if v.abs() >= 1000.0 {
        return format!("{v:.0}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Whole-number ticks `0, s, 2s, …` up to `max`, with `s` the smallest of
/// 1, 2, 5, 10, 20, 50, … that makes at most `n` steps.
pub(crate) fn count_ticks(max: f64, n: usize) -> Vec<f64> {
    let n = n.max(1) as f64;
    let nice = |k: usize| [1.0, 2.0, 5.0][k % 3] * 10f64.powi((k / 3) as i32);
    let mut k = 0;
    while max / nice(k) > n {
        k += 1;
    }
    let step = nice(k);
    (0..).map(|i| i as f64 * step).take_while(|&t| t <= max * (1.0 + 1e-12)).collect()
}

/// Ticks `0, s, 2s, …` up to `span`, with `s` the first of `steps` (and
/// then doublings of the last) that makes at most `n` steps.
fn step_ticks(span: f64, n: usize, steps: &[f64]) -> Vec<f64> {
    let mut step = steps[0];
    let mut i = 0;
    while span / step > n as f64 {
        i += 1;
        step = steps.get(i).copied().unwrap_or(step * 2.0);
    }
    (0..).map(|i| i as f64 * step).take_while(|&t| t <= span * (1.0 + 1e-12)).collect()
}

/// A linear axis over `lo..hi` with the ticks (bold grid lines) and light
/// grid lines chosen here (plotters' own linear axis picks its own).
#[derive(Clone, Debug)]
struct LinearAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for LinearAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let share = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * share).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Draws the plotters error `e` as an error of the chart at `path`.
fn draw_err(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::io_in(path.display().to_string(), format!("cannot draw chart: {e}"))
}

/// The points of `series` in x order (then y, for equal sizes), as the
/// line joins them.
fn in_x_order(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    p
}

/// Writes a line chart (one line per series, x on a log scale when
/// `log_x`) to `path` as SVG. Each line joins its points in x order,
/// whatever their order in the series.
pub fn line_chart_svg(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_x: bool,
) -> Result<(), Error> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| draw_err(path, e);
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !x0.is_finite() {
        return Err(Error::invalid_in(path.display().to_string(), "nothing to plot"));
    }
    if x0 == x1 {
        x0 *= 0.9;
        x1 = x1 * 1.1 + 1.0;
    }
    let y1 = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0f64, f64::max).max(1e-9) * 1.05;
    let series: Vec<Series> =
        series.iter().map(|s| Series { label: s.label.clone(), points: in_x_order(&s.points) }).collect();
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(title, ("sans-serif", 22)).margin(14).x_label_area_size(44).y_label_area_size(60);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_max_light_lines(1)
                .light_line_style(RGBColor(238, 238, 238))
                .x_label_formatter(&|x| num_label(*x))
                .draw()
                .map_err(|e| err(&e))?;
            for (i, s) in series.iter().enumerate() {
                let c = PALETTE[i % PALETTE.len()];
                chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(s.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
                chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(|e| err(&e))?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| err(&e))?;
        }};
    }
    if log_x && x0 > 0.0 {
        let (a, b) = widen_log(x0, x1, 1.5);
        let (x0, x1) = (a.min(x0 / 1.05), b.max(x1 * 1.05));
        let x =
            (x0..x1).log_scale().with_key_points(log_ticks(x0, x1, 800.0, 34.0)).with_light_points(log_minor(x0, x1));
        draw!(builder.build_cartesian_2d(x, 0.0..y1).map_err(|e| err(&e))?);
    } else {
        draw!(builder.build_cartesian_2d(x0..x1, 0.0..y1).map_err(|e| err(&e))?);
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Writes the key series of a run over time as stacked panels —
/// requests per minute, hit ratio, p99 latency (log scale), loaded models
/// (copies) and instances in service — with the fault windows shaded and
/// labelled, to `path` as SVG. The chart of a [`Timeline`] of `minutes`
/// (without a warm-up mark): one point per minute up to
/// [`TIMELINE_MAX_POINTS`] minutes, wider buckets past it.
pub fn timeline_svg(
    path: &Path,
    title: &str,
    minutes: &[mmesim_core::MinuteMetrics],
    faults: &[mmesim_core::FaultWindow],
) -> Result<(), Error> {
    let mut t = Timeline::default();
    for m in minutes {
        t.add(m);
    }
    t.svg(path, title, faults)
}

/// Most points a [`Timeline`] keeps per series (a day of minutes; the
/// chart is 900 pixels wide). Past it, adjacent points are merged into
/// buckets twice as wide, as often as needed, so a run of any simulated
/// length is drawn from at most this many points.
pub const TIMELINE_MAX_POINTS: usize = 1440;

/// A timeline covering more minutes than this (3 hours) has its time axis
/// in hours; a shorter one, in minutes.
pub const TIMELINE_HOURS_AFTER_MINUTES: u64 = 180;

/// A timeline with at most this many points draws a marker on each point
/// as well as the line (a short run's few points, a single minute's one).
const TIMELINE_MARKERS_UP_TO: usize = 60;

/// A run's timeline for [`timeline_svg`], built minute by minute in
/// bounded memory: a [`MinuteSink`](mmesim_core::MinuteSink) for
/// [`Scenario::run_into`](crate::Scenario::run_into) (what
/// `mmesim run --plot` uses). Up to [`TIMELINE_MAX_POINTS`] minutes it
/// keeps every minute; past it, buckets of 2, 4, 8, … whole minutes: the
/// requests per minute averaged over the bucket, the hit ratio weighted by
/// the requests, the p99 the highest minute p99 of the bucket, the
/// snapshots (loaded models, instances) those of its last minute.
#[derive(Clone, Debug)]
pub struct Timeline {
    buckets: Vec<Bucket>,
    /// Minutes per full bucket (1, 2, 4, …).
    width: u64,
    /// The latest minute, held back: a last minute with no arrival (the
    /// drain) is left out of the chart.
    last: Option<Bucket>,
    /// The warm-up shaded on the chart, seconds (0 = none).
    warmup_s: f64,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline { buckets: Vec::new(), width: 1, last: None, warmup_s: 0.0 }
    }
}

/// Some whole minutes of a timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    first: u64,
    minutes: u64,
    /// Requests in all.
    invocations: f64,
    /// Requests per minute.
    requests: f64,
    hit: f64,
    p99: f64,
    loaded: f64,
    instances: f64,
}

impl Bucket {
    fn of(m: &mmesim_core::MinuteMetrics) -> Bucket {
        Bucket {
            first: m.minute,
            minutes: 1,
            invocations: m.invocations as f64,
            requests: m.invocations as f64,
            hit: m.model_cache_hit,
            p99: m.p99_latency_ms,
            loaded: m.loaded_model_count as f64,
            instances: m.instance_count as f64,
        }
    }

    /// `self` followed by `b`.
    fn merged(self, b: Bucket) -> Bucket {
        let invocations = self.invocations + b.invocations;
        let minutes = self.minutes + b.minutes;
        Bucket {
            first: self.first,
            minutes,
            invocations,
            requests: invocations / minutes as f64,
            hit: if invocations > 0.0 {
                (self.hit * self.invocations + b.hit * b.invocations) / invocations
            } else {
                0.0
            },
            p99: self.p99.max(b.p99),
            loaded: b.loaded,
            instances: b.instances,
        }
    }
}

/// How a timeline panel's values are scaled and ticked.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PanelAxis {
    /// From 0, whole-number ticks.
    Count,
    /// 0 to 1.
    Ratio,
    /// Log scale; values ≤ 0 are left out.
    Log,
}

/// One label at the top of a timeline's first panel: its text, where it starts
/// (x, in the axis's unit) and its colour.
struct PanelLabel {
    text: String,
    x: f64,
    color: plotters::style::RGBColor,
}

/// Rows for `labels` (pixel starts and widths) so that none overlaps the
/// one before it in its row: the first row with room, else the row whose
/// last label ends first. At most `max_rows` rows.
fn label_rows(labels: &[(f64, f64)], max_rows: usize) -> Vec<usize> {
    let mut ends: Vec<f64> = Vec::new();
    let mut rows = Vec::with_capacity(labels.len());
    for &(x, w) in labels {
        let row = match ends.iter().position(|&e| e + 6.0 <= x) {
            Some(r) => r,
            None if ends.len() < max_rows => {
                ends.push(f64::NEG_INFINITY);
                ends.len() - 1
            }
            None => (0..ends.len()).min_by(|&a, &b| ends[a].total_cmp(&ends[b])).unwrap_or(0),
        };
        ends[row] = ends[row].max(x + w);
        rows.push(row);
    }
    rows
}

/// The time axis of a timeline of `minutes` minutes: minutes per unit (1
/// or 60), the axis label, and the ticks in that unit.
pub(crate) fn time_axis(minutes: u64, bucket_minutes: u64) -> (f64, String, Vec<f64>) {
    let per_point =
        if bucket_minutes > 1 { format!(" (one point per {bucket_minutes} minutes)") } else { String::new() };
    if minutes > TIMELINE_HOURS_AFTER_MINUTES {
        let hours = minutes as f64 / 60.0;
        let ticks = step_ticks(hours, 12, &[1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0]);
        (60.0, format!("time, hours{per_point}"), ticks)
    } else {
        let ticks = step_ticks(minutes.max(1) as f64, 10, &[1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0]);
        (1.0, format!("time, minutes{per_point}"), ticks)
    }
}

impl Timeline {
    /// The same timeline with the warm-up (`warmup_s` seconds from the
    /// start, 0 = none) shaded and labelled on its chart.
    pub fn with_warmup(mut self, warmup_s: f64) -> Self {
        self.warmup_s = if warmup_s.is_finite() { warmup_s.max(0.0) } else { 0.0 };
        self
    }

    /// Adds the next minute (minutes come in order).
    pub fn add(&mut self, m: &mmesim_core::MinuteMetrics) {
        if let Some(prev) = self.last.replace(Bucket::of(m)) {
            self.push(prev);
        }
    }

    fn push(&mut self, b: Bucket) {
        if let Some(l) = self.buckets.last_mut() {
            if l.minutes < self.width {
                *l = l.merged(b);
                return;
            }
        }
        if self.buckets.len() >= TIMELINE_MAX_POINTS {
            self.buckets = self.buckets.chunks(2).map(|c| c[1..].iter().fold(c[0], |a, b| a.merged(*b))).collect();
            self.width *= 2;
        }
        self.buckets.push(b);
    }

    /// The points drawn, and the minutes they cover.
    fn points(&self) -> (Vec<Bucket>, u64) {
        let mut t = self.clone();
        if let Some(last) = t.last.take() {
            // A last minute with no arrival is the drain after the
            // workload ended: its ratios would read as zero.
            if last.invocations > 0.0 || t.buckets.is_empty() {
                t.push(last);
            }
        }
        let minutes = t.buckets.iter().map(|b| b.minutes).sum();
        (t.buckets, minutes)
    }

    /// How many points the chart would draw per series (at most
    /// [`TIMELINE_MAX_POINTS`]).
    pub fn len(&self) -> usize {
        self.points().0.len()
    }

    /// Whether no minute was added.
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// Writes the chart (see [`timeline_svg`]) to `path` as SVG, with the
    /// warm-up of [`with_warmup`](Timeline::with_warmup) shaded grey and
    /// labelled "warm-up", each fault window shaded red and labelled with
    /// what failed. Time runs in minutes, or in hours past
    /// [`TIMELINE_HOURS_AFTER_MINUTES`]. The p99 panel is on a log scale
    /// (minutes where no request completed have no p99 and are left out,
    /// as its caption says); the count panels have whole-number ticks. A
    /// run of a minute or less is one point per series, drawn as a marker
    /// and said so above the panels.
    pub fn svg(&self, path: &Path, title: &str, faults: &[mmesim_core::FaultWindow]) -> Result<(), Error> {
        use plotters::prelude::*;
        let err = |e: &dyn std::fmt::Display| draw_err(path, e);
        let (points, minutes) = self.points();
        if points.is_empty() {
            return Err(Error::invalid_in(path.display().to_string(), "the run has no minute to plot"));
        }
        let (unit, x_desc, x_ticks) = time_axis(minutes, points.iter().map(|b| b.minutes).max().unwrap_or(1));
        let x_max = minutes.max(1) as f64 / unit;
        let at = |b: &Bucket, snapshot: bool| {
            let into = if snapshot { b.minutes as f64 } else { b.minutes as f64 / 2.0 };
            (b.first as f64 + into) / unit
        };
        type Getter = fn(&Bucket) -> f64;
        // (caption, value, snapshot at the bucket's end rather than over it, axis)
        let p99_gaps = points.iter().filter(|b| b.p99 <= 0.0).count();
        let p99_caption = match p99_gaps {
            0 => "p99 latency, ms (log scale)".to_string(),
            1 => "p99 latency, ms (log scale; 1 point without a completed request left out)".to_string(),
            n => format!("p99 latency, ms (log scale; {n} points without a completed request left out)"),
        };
        let panels: [(String, Getter, bool, PanelAxis); 5] = [
            ("requests per minute".into(), |b| b.requests, false, PanelAxis::Count),
            ("hit ratio".into(), |b| b.hit, false, PanelAxis::Ratio),
            (p99_caption, |b| b.p99, false, PanelAxis::Log),
            ("loaded models (copies), at the end of each point".into(), |b| b.loaded, true, PanelAxis::Count),
            ("instances in service, at the end of each point".into(), |b| b.instances, true, PanelAxis::Count),
        ];

        // Labels at the top of the first panel: the warm-up, the faults, a note.
        let (left, right) = (8.0 + 56.0, 900.0 - 8.0);
        let to_px = |x: f64| left + (x / x_max).clamp(0.0, 1.0) * (right - left);
        let warmup = (self.warmup_s / 60.0 / unit).min(x_max);
        let mut labels: Vec<PanelLabel> = Vec::new();
        if warmup > 0.0 {
            labels.push(PanelLabel { text: "warm-up".into(), x: 0.0, color: RGBColor(90, 90, 90) });
        }
        let fault_x = |f: &mmesim_core::FaultWindow| {
            let x0 = (f.start.as_secs_f64() / 60.0 / unit).min(x_max);
            let x1 = f.end.map_or(x_max, |e| e.as_secs_f64() / 60.0 / unit).min(x_max);
            (x0, x1)
        };
        for f in faults {
            let end = if f.end.is_none() { " (for good)" } else { "" };
            labels.push(PanelLabel { text: format!("{}{end}", f.what), x: fault_x(f).0, color: RGBColor(180, 30, 30) });
        }
        if minutes <= 1 {
            labels.push(PanelLabel {
                text: "run of a minute or less: one point per series (figures are per minute)".into(),
                x: 0.0,
                color: BLACK,
            });
        }
        labels.sort_by(|a, b| a.x.total_cmp(&b.x));
        // A label that would pass the right end ends there.
        let spans: Vec<(f64, f64)> = labels
            .iter()
            .map(|l| (to_px(l.x).min(right - text_width(&l.text)).max(left), text_width(&l.text)))
            .collect();
        let rows = label_rows(&spans, 3);
        // The first panel's values stay below the labels' rows (its plot
        // area is about 140 pixels high).
        let reserve = rows.iter().map(|r| r + 1).max().map_or(0.0, |n| (6 + 14 * n) as f64 / 140.0);
        // Markers at the ends of the axis are drawn whole.
        let pad = if points.len() <= TIMELINE_MARKERS_UP_TO { x_max * 0.012 } else { 0.0 };

        let root0 = SVGBackend::new(path, (900, 1040)).into_drawing_area();
        root0.fill(&WHITE).map_err(|e| err(&e))?;
        let root = root0.titled(title, ("sans-serif", 22)).map_err(|e| err(&e))?;
        let areas = root.split_evenly((panels.len(), 1));
        // The first panel's plot area: left, right and top pixels.
        let mut first: Option<(i32, i32, i32)> = None;
        for (k, ((caption, get, snapshot, axis), area)) in panels.iter().zip(areas.iter()).enumerate() {
            let last_panel = k + 1 == panels.len();
            let values: Vec<f64> = points.iter().map(get).collect();
            // The drawn coordinate: the value, or its log10 on a log panel.
            let to_y = |v: f64| if *axis == PanelAxis::Log { v.log10() } else { v };
            let (y0, y1, y_ticks, y_minor): (f64, f64, Vec<f64>, Vec<f64>) = match axis {
                PanelAxis::Count => {
                    let max = values.iter().copied().fold(0.0f64, f64::max);
                    let ticks = count_ticks(max.max(1.0), 4);
                    let top = (max * 1.1).max(1.0).max(ticks.last().copied().unwrap_or(1.0) * 1.05);
                    let top = if k == 0 { top.max(max * 1.05 / (1.0 - reserve)) } else { top };
                    (0.0, top, ticks, vec![])
                }
                PanelAxis::Ratio => (0.0, 1.1, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0], vec![]),
                PanelAxis::Log => {
                    let pos = values.iter().copied().filter(|&v| v > 0.0);
                    let (lo, hi) = pos.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
                    let (lo, hi) = if hi > 0.0 { widen_log(lo * 0.7, hi * 1.5, 4.0) } else { (1.0, 10.0) };
                    let ticks = log_ticks(lo, hi, 120.0, 14.0);
                    let minor = log_minor(lo, hi);
                    (
                        lo.log10(),
                        hi.log10(),
                        ticks.iter().map(|t| t.log10()).collect(),
                        minor.iter().map(|t| t.log10()).collect(),
                    )
                }
            };
            let mut chart = ChartBuilder::on(area)
                .caption(caption.as_str(), ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(if last_panel { 38 } else { 18 })
                .y_label_area_size(56)
                .build_cartesian_2d(
                    LinearAxis { lo: -pad, hi: x_max + pad, ticks: x_ticks.clone(), minor: vec![] },
                    LinearAxis { lo: y0, hi: y1, ticks: y_ticks, minor: y_minor },
                )
                .map_err(|e| err(&e))?;
            let x_label = |x: &f64| num_label(*x);
            let y_label = |y: &f64| match axis {
                PanelAxis::Log => num_label(10f64.powf(*y)),
                _ => num_label(*y),
            };
            let mut mesh = chart.configure_mesh();
            mesh.light_line_style(RGBColor(238, 238, 238)).x_label_formatter(&x_label).y_label_formatter(&y_label);
            if last_panel {
                mesh.x_desc(x_desc.as_str());
            }
            mesh.draw().map_err(|e| err(&e))?;
            if warmup > 0.0 {
                let band = Rectangle::new([(0.0, y0), (warmup, y1)], RGBColor(120, 120, 120).mix(0.12).filled());
                chart.draw_series(std::iter::once(band)).map_err(|e| err(&e))?;
            }
            for f in faults {
                let (x0, x1) = fault_x(f);
                let band = Rectangle::new([(x0, y0), (x1, y1)], RGBColor(214, 39, 40).mix(0.15).filled());
                chart.draw_series(std::iter::once(band)).map_err(|e| err(&e))?;
            }
            let c = PALETTE[k % PALETTE.len()];
            // Runs of drawable points; a log panel breaks at values ≤ 0.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (b, &v) in points.iter().zip(&values) {
                if *axis == PanelAxis::Log && v <= 0.0 {
                    runs.push(Vec::new());
                } else if let Some(run) = runs.last_mut() {
                    run.push((at(b, *snapshot), to_y(v)));
                }
            }
            for run in runs.iter().filter(|r| !r.is_empty()) {
                chart.draw_series(LineSeries::new(run.iter().copied(), c.stroke_width(2))).map_err(|e| err(&e))?;
                if points.len() <= TIMELINE_MARKERS_UP_TO || run.len() == 1 {
                    chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(|e| err(&e))?;
                }
            }
            // A single point also says its value.
            if let ([b], [v]) = (points.as_slice(), values.as_slice()) {
                if *axis != PanelAxis::Log || *v > 0.0 {
                    let (x, y) = chart.backend_coord(&(at(b, *snapshot), to_y(*v)));
                    let text = num_label(*v);
                    let x = if *snapshot { x - 6 - text_width(&text).ceil() as i32 } else { x + 6 };
                    let style = ("sans-serif", SMALL_FONT).into_font().color(&BLACK);
                    root0.draw(&Text::new(text, (x, y - 14), style)).map_err(|e| err(&e))?;
                }
            }
            if first.is_none() {
                let ((l, top), r) = (chart.backend_coord(&(0.0, y1)), chart.backend_coord(&(x_max, y0)).0);
                first = Some((l, r, top));
            }
        }
        // The labels, where the first panel's axis puts their x.
        if let Some((px0, px1, top)) = first {
            for (l, row) in labels.iter().zip(&rows) {
                let x = px0 + ((l.x / x_max).clamp(0.0, 1.0) * f64::from(px1 - px0)).round() as i32 + 2;
                let x = x.min(px1 - text_width(&l.text).ceil() as i32).max(px0 + 2);
                let y = top + 3 + 14 * *row as i32;
                let style = ("sans-serif", SMALL_FONT).into_font().color(&l.color);
                root0.draw(&Text::new(l.text.clone(), (x, y), style)).map_err(|e| err(&e))?;
            }
        }
        root0.present().map_err(|e| err(&e))?;
        Ok(())
    }
}

impl mmesim_core::MinuteSink for Timeline {
    fn minute(&mut self, minute: &mmesim_core::MinuteMetrics) -> Result<(), mmesim_core::SinkError> {
        self.add(minute);
        Ok(())
    }
}

/// One configuration in a [`frontier_svg`] chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterPoint {
    /// Cost per hour, USD (x).
    pub cost: f64,
    /// Worst p99 latency, ms (y).
    pub p99_ms: f64,
    /// Whether it meets the targets (drawn filled; hollow otherwise).
    pub passes: bool,
    /// Written next to the marker (the instance count, `"3×"`).
    pub label: String,
}

/// Points of one label in a [`frontier_svg`] chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterGroup {
    /// Legend label (an instance type).
    pub label: String,
    /// Its configurations.
    pub points: Vec<ScatterPoint>,
}

/// Where the label of a marker at `(x, y)` (pixels) goes: the first of
/// eight places around it that overlaps no label placed before and no
/// marker, else the one that overlaps least. `taken` holds the boxes
/// `(x0, y0, x1, y1)` placed so far (and the markers'); the label's box is
/// added to it and returned.
fn place_label(
    (x, y): (f64, f64),
    w: f64,
    h: f64,
    r: f64,
    taken: &mut Vec<(f64, f64, f64, f64)>,
) -> (f64, f64, f64, f64) {
    let g = r + 2.0;
    let candidates = [
        (x + g, y - h - 1.0),
        (x + g, y + 1.0),
        (x - g - w, y - h - 1.0),
        (x - g - w, y + 1.0),
        (x - w / 2.0, y - g - h),
        (x - w / 2.0, y + g),
        (x + g, y - h / 2.0),
        (x - g - w, y - h / 2.0),
    ];
    let overlap = |a: &(f64, f64, f64, f64), b: &(f64, f64, f64, f64)| {
        let dx = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
        let dy = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
        dx * dy
    };
    let mut best: Option<((f64, f64, f64, f64), f64)> = None;
    for (cx, cy) in candidates {
        let b = (cx, cy, cx + w, cy + h);
        let o: f64 = taken.iter().map(|t| overlap(&b, t)).sum();
        if best.is_none_or(|(_, bo)| o < bo) {
            best = Some((b, o));
        }
        if o == 0.0 {
            break;
        }
    }
    let b = best.map_or((x, y, x + w, y + h), |(b, _)| b);
    taken.push(b);
    b
}

/// Writes the recommender's picture to `path` as SVG: every configuration
/// tried as cost per hour (x, log scale, ticks in dollars) against worst
/// p99 in ms (y, log scale), one colour per instance type, filled when it
/// meets the targets and hollow when it fails one (the legend says so),
/// each labelled with its [`ScatterPoint::label`] (the instance count);
/// the p99 target as a dashed line; and the `frontier` (points `(cost per
/// hour, p99 ms)` in cost order, as the caller computes it: configurations
/// no cheaper one beats on p99) as a black step line.
pub fn frontier_svg(
    path: &Path,
    title: &str,
    groups: &[ScatterGroup],
    frontier: &[(f64, f64)],
    target_p99_ms: f64,
) -> Result<(), Error> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| draw_err(path, e);
    let all: Vec<(f64, f64)> = groups.iter().flat_map(|g| g.points.iter().map(|p| (p.cost, p.p99_ms))).collect();
    if all.is_empty() {
        return Err(Error::invalid_in(path.display().to_string(), "nothing to plot"));
    }
    let x1 = all.iter().map(|p| p.0).fold(0.0f64, f64::max).max(1e-6) * 1.15;
    let x0 = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min).max(1e-6) * 0.85;
    let (x0, x1) = widen_log(x0, x1, 4.0);
    let ys = all.iter().map(|p| p.1).chain([target_p99_ms]).filter(|y| *y > 0.0);
    let (y0, y1) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
    let (y0, y1) = widen_log((y0 * 0.7).max(1e-3), (y1 * 1.5).max(1e-2), 4.0);
    let (w, h) = (900u32, 560u32);
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let x_axis =
        (x0..x1).log_scale().with_key_points(log_ticks(x0, x1, 790.0, 44.0)).with_light_points(log_minor(x0, x1));
    let y_axis =
        (y0..y1).log_scale().with_key_points(log_ticks(y0, y1, 440.0, 20.0)).with_light_points(log_minor(y0, y1));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x_axis, y_axis)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("cost, USD per hour (log scale)")
        .x_label_formatter(&|x| format!("${}", num_label(*x)))
        .y_desc("worst p99 latency, ms (log scale)")
        .light_line_style(RGBColor(238, 238, 238))
        .y_label_formatter(&|y| num_label(*y))
        .draw()
        .map_err(|e| err(&e))?;
    // The target.
    chart
        .draw_series(DashedLineSeries::new([(x0, target_p99_ms), (x1, target_p99_ms)], 8, 5, RED.stroke_width(1)))
        .map_err(|e| err(&e))?
        .label(format!("p99 target {target_p99_ms} ms"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(1)));
    // The frontier as a step line.
    let mut steps = Vec::new();
    for (i, p) in frontier.iter().enumerate() {
        if i > 0 {
            steps.push((p.0, frontier[i - 1].1));
        }
        steps.push(*p);
    }
    if let Some(last) = frontier.last() {
        steps.push((x1, last.1));
    }
    chart
        .draw_series(LineSeries::new(steps, BLACK.stroke_width(1)))
        .map_err(|e| err(&e))?
        .label("cost / p99 frontier")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(1)));
    for (i, g) in groups.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(g.points.iter().map(|p| {
                let style = if p.passes { c.filled() } else { c.stroke_width(2) };
                Circle::new((p.cost, p.p99_ms), 5, style)
            }))
            .map_err(|e| err(&e))?
            .label(g.label.clone())
            .legend(move |(x, y)| Circle::new((x + 9, y), 5, c.filled()));
    }
    // What filled and hollow mean (no points of their own).
    let grey = RGBColor(80, 80, 80);
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
        .map_err(|e| err(&e))?
        .label("filled: meets every target")
        .legend(move |(x, y)| Circle::new((x + 9, y), 5, grey.filled()));
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
        .map_err(|e| err(&e))?
        .label("hollow: fails a target")
        .legend(move |(x, y)| Circle::new((x + 9, y), 5, grey.stroke_width(2)));
    // Count labels, placed in cost then p99 order around their markers.
    let mut marks: Vec<((i32, i32), &str, plotters::style::RGBColor)> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        for p in &g.points {
            marks.push((chart.backend_coord(&(p.cost, p.p99_ms)), p.label.as_str(), PALETTE[i % PALETTE.len()]));
        }
    }
    marks.sort_by(|a, b| (a.0 .0, a.0 .1, a.1).cmp(&(b.0 .0, b.0 .1, b.1)));
    let r = 5.0;
    let mut taken: Vec<(f64, f64, f64, f64)> =
        marks.iter().map(|&((x, y), _, _)| (x as f64 - r, y as f64 - r, x as f64 + r, y as f64 + r)).collect();
    let text_h = SMALL_FONT * 0.8 + 1.0;
    for &((x, y), label, c) in marks.iter().filter(|m| !m.1.is_empty()) {
        let b = place_label((x as f64, y as f64), text_width(label), text_h, r, &mut taken);
        let style = ("sans-serif", SMALL_FONT).into_font().color(&c.mix(0.95));
        root.draw(&Text::new(label.to_string(), (b.0.round() as i32, b.1.round() as i32), style))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_1_2_5_across_decades_below_1_and_above_10() {
        // $0.1 to $37 on 790 px: 1-2-5 fits (0.3 decade ≥ 44 px).
        assert_eq!(
            log_ticks(0.098, 37.5, 790.0, 44.0),
            vec![0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0],
            "ticks below $1 and above $10"
        );
        // Narrow: 0.6 to 2.5 on 790 px: every 1–9 (0.046 decade × 1276 px ≥ 44).
        assert_eq!(log_ticks(0.6, 2.5, 790.0, 44.0), vec![0.6, 0.7, 0.8, 0.9, 1.0, 2.0]);
        // Wide: 0.01 to 10^5 on 400 px: 57 px per decade: powers of ten.
        assert_eq!(log_ticks(0.01, 1e5, 400.0, 44.0), vec![0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 1e4, 1e5]);
        // Wider still: every other decade.
        assert_eq!(log_ticks(1.0, 1e12, 300.0, 44.0), vec![1.0, 100.0, 1e4, 1e6, 1e8, 1e10, 1e12]);
        // Too narrow for two 1-2-5 ticks: 1–9 thinned to the gap.
        assert_eq!(log_ticks(2.1, 8.4, 120.0, 14.0), vec![3.0, 4.0, 5.0, 6.0, 8.0]);
        // Nothing sensible in, nothing out.
        assert!(log_ticks(0.0, 1.0, 100.0, 10.0).is_empty());
        assert!(log_ticks(2.0, 1.0, 100.0, 10.0).is_empty());
        assert!(log_ticks(1.0, f64::INFINITY, 100.0, 10.0).is_empty());
        // Far apart enough, whatever the range.
        for (lo, hi, px, gap) in [(0.05, 80.0, 790.0, 44.0), (93.0, 60000.0, 120.0, 14.0), (3.0, 3.5, 790.0, 44.0)] {
            let t = log_ticks(lo, hi, px, gap);
            assert!(t.len() >= 2, "{lo}..{hi}: {t:?}");
            let per_decade = px / (hi / lo).log10();
            for w in t.windows(2) {
                assert!((w[1] / w[0]).log10() * per_decade >= gap - 1e-9, "{lo}..{hi}: {t:?}");
            }
        }
    }

    #[test]
    fn labels_are_short_numbers() {
        let l: Vec<String> = [0.05, 0.1, 0.5, 1.0, 2.0, 10.0, 93.72, 1500.0, 20000.0, 0.0].map(num_label).to_vec();
        assert_eq!(l, ["0.05", "0.1", "0.5", "1", "2", "10", "93.7", "1500", "20000", "0"]);
        // A log tick read back from its log10 still prints as itself.
        assert_eq!(num_label(10f64.powf(200f64.log10())), "200");
    }

    #[test]
    fn count_ticks_are_whole_numbers() {
        assert_eq!(count_ticks(4.0, 4), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(count_ticks(6.0, 4), vec![0.0, 2.0, 4.0, 6.0]);
        assert_eq!(count_ticks(6100.0, 4), vec![0.0, 2000.0, 4000.0, 6000.0]);
        assert_eq!(count_ticks(260.0, 4), vec![0.0, 100.0, 200.0]);
        assert_eq!(count_ticks(1.0, 4), vec![0.0, 1.0]);
        for max in [1.0, 3.0, 7.0, 19.0, 33.0, 99.0, 180.0, 1234.0, 55555.0] {
            let t = count_ticks(max, 4);
            assert!(t.len() >= 2 && t.len() <= 5, "{max}: {t:?}");
            assert!(t.iter().all(|v| v.fract() == 0.0), "{max}: {t:?}");
        }
    }

    #[test]
    fn time_axis_is_in_hours_past_three_hours() {
        let (unit, label, ticks) = time_axis(30, 1);
        assert_eq!((unit, label.as_str()), (1.0, "time, minutes"));
        assert_eq!(ticks, [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
        let (unit, label, _) = time_axis(TIMELINE_HOURS_AFTER_MINUTES, 1);
        assert_eq!((unit, label.as_str()), (1.0, "time, minutes"));
        let (unit, label, ticks) = time_axis(1440, 1);
        assert_eq!((unit, label.as_str()), (60.0, "time, hours"));
        assert_eq!(ticks, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0]);
        let (_, label, ticks) = time_axis(14_400, 16);
        assert_eq!(label, "time, hours (one point per 16 minutes)");
        assert_eq!(ticks, [0.0, 24.0, 48.0, 72.0, 96.0, 120.0, 144.0, 168.0, 192.0, 216.0, 240.0]);
        let (_, _, ticks) = time_axis(1, 1);
        assert_eq!(ticks, [0.0, 1.0], "a single minute: its two ends");
    }

    #[test]
    fn mrc_points_are_joined_in_size_order() {
        let p = in_x_order(&[(10.0, 0.55), (1.0, 0.82), (50.0, 0.2), (5.0, 0.65), (5.0, 0.6)]);
        assert_eq!(p, [(1.0, 0.82), (5.0, 0.6), (5.0, 0.65), (10.0, 0.55), (50.0, 0.2)]);
    }

    #[test]
    fn panel_labels_take_the_first_row_with_room() {
        // "warm-up" at 64 (50 px), a fault at 100 (overlaps), one at 400.
        assert_eq!(label_rows(&[(64.0, 50.0), (100.0, 80.0), (400.0, 80.0)], 3), [0, 1, 0]);
        // Past the last row: the row that ends first.
        assert_eq!(label_rows(&[(0.0, 100.0), (10.0, 50.0), (20.0, 100.0)], 2), [0, 1, 1]);
    }

    #[test]
    fn count_labels_avoid_each_other() {
        let mut taken = vec![(95.0, 95.0, 105.0, 105.0), (97.0, 95.0, 107.0, 105.0)];
        let a = place_label((100.0, 100.0), 14.0, 10.0, 5.0, &mut taken);
        let b = place_label((102.0, 100.0), 14.0, 10.0, 5.0, &mut taken);
        assert_eq!(a, (107.0, 89.0, 121.0, 99.0), "upper right");
        let o = (a.2.min(b.2) - a.0.max(b.0)).max(0.0) * (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
        assert_eq!(o, 0.0, "{a:?} {b:?}");
    }
}
