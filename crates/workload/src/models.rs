//! The model population: generated from distributions or listed.

use mmesim_core::{Bytes, Dist, ModelSpec, Models, Population};
use mmesim_engine::{SimDuration, SimRng};
use serde::{Deserialize, Serialize};

use crate::Error;

/// One explicitly listed model (`[[models.list]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Name.
    pub name: String,
    /// Memory footprint, MiB.
    pub memory_mib: f64,
    /// Artifact size, MiB (default: `memory_mib × artifact_ratio`).
    #[serde(default)]
    pub artifact_mib: Option<f64>,
    /// Service time, ms: a number (constant) or a distribution table
    /// (default: the population's `service_ms`).
    #[serde(default)]
    pub service_ms: Option<ServiceSpec>,
    /// Load overhead, ms (default: the population's).
    #[serde(default)]
    pub load_overhead_ms: Option<f64>,
    /// Request plus response payload, KiB (default: the population's).
    #[serde(default)]
    pub payload_kib: Option<f64>,
    /// CPU time per request besides inference, ms (default: the
    /// population's).
    #[serde(default)]
    pub preprocess_ms: Option<f64>,
}

/// A service time: a plain number of milliseconds (`service_ms = 20.0`), or
/// a distribution (`service_ms = { dist = "exponential", mean = 20.0 }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ServiceSpec {
    /// A constant, in ms.
    Fixed(f64),
    /// A distribution of ms.
    Dist(Dist),
}

impl<'de> Deserialize<'de> for ServiceSpec {
    /// A number, or a table read as a [`Dist`] (so a bad table gets the
    /// distribution's own error: an unknown `dist`, a missing key).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ServiceSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a number of milliseconds or a distribution table such as { dist = \"exponential\", mean = 20.0 }",
                )
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ServiceSpec, E> {
                Ok(ServiceSpec::Fixed(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ServiceSpec, E> {
                Ok(ServiceSpec::Fixed(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ServiceSpec, E> {
                Ok(ServiceSpec::Fixed(v as f64))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ServiceSpec, A::Error> {
                Dist::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(ServiceSpec::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

impl ServiceSpec {
    /// As a distribution (a number is a constant).
    pub fn to_dist(&self) -> Dist {
        match self {
            ServiceSpec::Fixed(v) => Dist::Constant { value: *v },
            ServiceSpec::Dist(d) => d.clone(),
        }
    }
}

fn d_count() -> u32 {
    20
}
fn d_memory() -> Dist {
    Dist::Lognormal { median: 400.0, sigma: 0.8 }
}
fn d_ratio() -> f64 {
    1.0
}
fn d_service() -> ServiceSpec {
    ServiceSpec::Dist(Dist::Exponential { mean: 20.0 })
}
/// Starting a Multi Model Server Python worker for a model (imports of
/// numpy, scipy, pandas, xgboost and the SageMaker handler, reading the
/// model), CPU ms: measured by `scripts/measure_mms_worker.py` (see the
/// guide, "Defaults and their sources").
fn d_load_overhead() -> f64 {
    702.0
}
/// Stopping that worker (SIGTERM to exit), ms: measured by the same script.
fn d_unload() -> f64 {
    9.8
}

/// The `[models]` table: a generated population, or an explicit list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsSpec {
    /// Number of models to generate (ignored when `list` is given).
    #[serde(default = "d_count")]
    pub count: u32,
    /// Memory footprint of generated models, MiB.
    #[serde(default = "d_memory")]
    pub memory_mib: Dist,
    /// Artifact bytes per memory byte.
    #[serde(default = "d_ratio")]
    pub artifact_ratio: f64,
    /// Service time of each request, ms: a number or a distribution.
    #[serde(default = "d_service")]
    pub service_ms: ServiceSpec,
    /// CPU time each load spends deserialising after its artifact is read
    /// (on a vCPU, shared with requests), ms. Default 702 (a Multi Model
    /// Server Python worker's start, measured).
    #[serde(default = "d_load_overhead")]
    pub load_overhead_ms: f64,
    /// Time an unload takes, ms. Default 9.8 (a worker's exit, measured).
    #[serde(default = "d_unload")]
    pub unload_ms: f64,
    /// Bytes a request and its response carry, KiB (they cross the
    /// instance's network and add to the overhead latency). Default 0.
    #[serde(default)]
    pub payload_kib: f64,
    /// CPU time per request besides the model's inference (decoding the
    /// payload, pre- and post-processing), ms: on CPU types it adds to the
    /// service; on GPU types it runs on the vCPUs before the GPU. Default 0.
    #[serde(default)]
    pub preprocess_ms: f64,
    /// Factor on every request's service time (generated, listed or from
    /// a trace); default 1. `mmesim calibrate` fits it.
    #[serde(default = "d_scale")]
    pub service_scale: f64,
    /// Explicit models; when non-empty, replaces the generated population.
    #[serde(default)]
    pub list: Vec<ModelEntry>,
}

fn d_scale() -> f64 {
    1.0
}

impl Default for ModelsSpec {
    fn default() -> Self {
        ModelsSpec {
            count: d_count(),
            memory_mib: d_memory(),
            artifact_ratio: d_ratio(),
            service_ms: d_service(),
            load_overhead_ms: d_load_overhead(),
            unload_ms: d_unload(),
            payload_kib: 0.0,
            preprocess_ms: 0.0,
            service_scale: 1.0,
            list: Vec::new(),
        }
    }
}

/// Most models a population may have.
pub const MAX_MODELS: u32 = 10_000_000;
/// Largest time a model-level duration (service mean, overheads) may take,
/// ms (10^9 s).
pub const MAX_MS: f64 = 1e12;
/// Largest `service_scale`: a calibration may need two orders of
/// magnitude (a handler measured alone against the latency of the whole
/// serving stack).
pub const MAX_SERVICE_SCALE: f64 = 100.0;
/// Largest model or artifact, MiB (1 PiB).
pub const MAX_MIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn at_most(field: &'static str, v: f64, max: f64) -> Result<(), Error> {
    if v <= max {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("`{field}` must be at most {max:e}, got {v}")))
    }
}

fn nonneg(field: &'static str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("`{field}` must be a non-negative number, got {v}")))
    }
}

fn positive(field: &'static str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("`{field}` must be a positive number, got {v}")))
    }
}

/// A distribution's own check (a message naming its key) as the error of
/// `field`.
fn dist_ok(field: &'static str, d: &Dist) -> Result<(), Error> {
    d.validate().map_err(|e| Error::invalid(field, format!("`{field}`: {e}")))
}

impl ModelsSpec {
    /// Checks every field; the message names it (`memory_mib: …`,
    /// `list[3].artifact_mib: …`).
    pub fn validate(&self) -> Result<(), Error> {
        if self.list.is_empty() && !(1..=MAX_MODELS).contains(&self.count) {
            let message = format!("`count` must be between 1 and {MAX_MODELS} (or give a `list`), got {}", self.count);
            return Err(Error::invalid("count", message));
        }
        if self.list.len() > MAX_MODELS as usize {
            let message = format!("`list` holds {} models; at most {MAX_MODELS} are supported", self.list.len());
            return Err(Error::invalid("list", message));
        }
        dist_ok("memory_mib", &self.memory_mib)?;
        let service = self.service_ms.to_dist();
        dist_ok("service_ms", &service)?;
        at_most("service_ms", service.mean(), MAX_MS)?;
        at_most("memory_mib", self.memory_mib.mean(), MAX_MIB)?;
        positive("artifact_ratio", self.artifact_ratio)?;
        at_most("artifact_ratio", self.artifact_ratio, 1e6)?;
        nonneg("load_overhead_ms", self.load_overhead_ms)?;
        nonneg("payload_kib", self.payload_kib)?;
        at_most("payload_kib", self.payload_kib, MAX_MIB * 1024.0)?;
        nonneg("preprocess_ms", self.preprocess_ms)?;
        if !(self.service_scale > 0.0 && self.service_scale <= MAX_SERVICE_SCALE) {
            let message = format!("`service_scale` must be in (0, {MAX_SERVICE_SCALE}], got {}", self.service_scale);
            return Err(Error::invalid("service_scale", message));
        }
        at_most("preprocess_ms", self.preprocess_ms, MAX_MS)?;
        at_most("load_overhead_ms", self.load_overhead_ms, MAX_MS)?;
        nonneg("unload_ms", self.unload_ms)?;
        at_most("unload_ms", self.unload_ms, MAX_MS)?;
        let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for (i, m) in self.list.iter().enumerate() {
            let at = |e: Error| e.within(&format!("list[{i}]"), &format!("list[{i}] (`{}`): ", m.name));
            if m.name.trim().is_empty() {
                return Err(at(Error::invalid("name", format!("`name` must not be empty, got {:?}", m.name))));
            }
            if let Some(first) = seen.insert(&m.name, i) {
                return Err(at(Error::invalid(
                    "name",
                    format!("`name` is already the name of list[{first}]; model names must be unique"),
                )));
            }
            positive("memory_mib", m.memory_mib).map_err(at)?;
            at_most("memory_mib", m.memory_mib, MAX_MIB).map_err(at)?;
            if let Some(a) = m.artifact_mib {
                positive("artifact_mib", a).map_err(at)?;
                at_most("artifact_mib", a, MAX_MIB).map_err(at)?;
            }
            if let Some(s) = &m.service_ms {
                let d = s.to_dist();
                dist_ok("service_ms", &d).map_err(at)?;
                at_most("service_ms", d.mean(), MAX_MS).map_err(at)?;
            }
            if let Some(p) = m.preprocess_ms {
                nonneg("preprocess_ms", p).map_err(at)?;
                at_most("preprocess_ms", p, MAX_MS).map_err(at)?;
            }
            if let Some(p) = m.payload_kib {
                nonneg("payload_kib", p).map_err(at)?;
                at_most("payload_kib", p, MAX_MIB * 1024.0).map_err(at)?;
            }
            if let Some(o) = m.load_overhead_ms {
                nonneg("load_overhead_ms", o).map_err(at)?;
                at_most("load_overhead_ms", o, MAX_MS).map_err(at)?;
            }
        }
        Ok(())
    }

    /// Builds the population: a list's specs, or a generated population
    /// ([`Models::Generated`], one size per model) whose sizes are drawn
    /// from `rng` (use the run's `Models` stream), clamped to at least
    /// 1 MiB.
    pub fn build(&self, rng: &mut SimRng) -> Models {
        let unload = SimDuration::from_millis_f64(self.unload_ms);
        if !self.list.is_empty() {
            return self
                .list
                .iter()
                .map(|m| {
                    let mem = Bytes::from_mib(m.memory_mib);
                    ModelSpec {
                        name: m.name.clone().into(),
                        memory: mem,
                        artifact: Bytes::from_mib(m.artifact_mib.unwrap_or(m.memory_mib * self.artifact_ratio)),
                        service_ms: m
                            .service_ms
                            .as_ref()
                            .map(ServiceSpec::to_dist)
                            .unwrap_or_else(|| self.service_ms.to_dist()),
                        load_overhead: SimDuration::from_millis_f64(
                            m.load_overhead_ms.unwrap_or(self.load_overhead_ms),
                        ),
                        unload_time: unload,
                        payload: Bytes::from_kib(m.payload_kib.unwrap_or(self.payload_kib)),
                        preprocess: SimDuration::from_millis_f64(m.preprocess_ms.unwrap_or(self.preprocess_ms)),
                    }
                })
                .collect::<Vec<_>>()
                .into();
        }
        let sizes = self.memory_mib.sampler();
        Models::Generated(Population {
            memory_mib: (0..self.count).map(|_| sizes.sample(rng).max(1.0)).collect(),
            artifact_ratio: self.artifact_ratio,
            service_ms: self.service_ms.to_dist(),
            load_overhead: SimDuration::from_millis_f64(self.load_overhead_ms),
            unload_time: unload,
            payload: Bytes::from_kib(self.payload_kib),
            preprocess: SimDuration::from_millis_f64(self.preprocess_ms),
        })
    }
}
