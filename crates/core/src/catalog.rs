//! Instance types and the built-in catalog.
//!
//! Figures (vCPUs, memory, GPU, instance storage) are those published for
//! the matching EC2 instance types. Prices are **approximate** SageMaker
//! on-demand list prices (US East, real-time inference, USD per hour) as
//! of 2024; they drift and differ by region, so a scenario can override any
//! of them with an `[[instance_types]]` entry of the same name.
//!
//! Throughput defaults: EBS-backed types get a 100 GiB volume read at
//! 250 MB/s (a gp3-like volume with raised throughput); `d` types and GPU
//! types read their local NVMe SSD at 2,000 MB/s. Downloads from the model
//! store (S3) run at an assumed 200 MB/s on 2- and 4-vCPU types and
//! 400 MB/s on larger ones (EC2's "up to 10 Gbit/s" network, throttled in
//! practice by S3 per-connection throughput). All of these are data a
//! scenario may override.

use crate::{Bytes, ConfigError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kind of an instance's storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A network-attached EBS volume.
    Ebs,
    /// Local NVMe instance storage.
    Nvme,
}

/// The disk tier's medium.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    /// EBS or NVMe.
    pub kind: StorageKind,
    /// Capacity of the disk tier.
    pub size: Bytes,
    /// Sequential read throughput, bytes per second (drives load time).
    pub read_bytes_per_s: f64,
}

/// An accelerator: when present, the memory tier is the GPU's memory and
/// the inference slots are the GPU's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gpu {
    /// Number of GPUs (the catalog's types have 1).
    pub count: u32,
    /// GPU memory, all GPUs together.
    pub memory: Bytes,
    /// Concurrent inferences the GPU(s) run.
    pub slots: u32,
}

/// An instance type: data, from the catalog or a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    /// Name, e.g. `ml.m5.xlarge`.
    pub name: String,
    /// vCPUs: inference slots on CPU types, and the default limit on
    /// concurrent downloads and loads.
    pub vcpus: u32,
    /// Speed of one vCPU relative to the reference (1.0): service times
    /// and load overheads are divided by it on this type.
    pub cpu_speed: f64,
    /// RAM.
    pub memory: Bytes,
    /// RAM kept for the OS and the serving container (not usable by models).
    pub reserved_memory: Bytes,
    /// RAM each loaded model costs beyond its own footprint: the serving
    /// container's per-model worker process and runtime (on GPU types, in
    /// host memory; the GPU tier holds the footprint only).
    pub model_overhead: Bytes,
    /// Share of RAM in use (reserved + loaded models) at which the serving
    /// container unloads models to make room, in (0, 1]: the memory tier
    /// of a CPU type is `memory_watermark × memory − reserved_memory`.
    pub memory_watermark: f64,
    /// Optional GPU.
    pub gpu: Option<Gpu>,
    /// Disk tier.
    pub storage: Storage,
    /// Download bandwidth from the model store, bytes per second.
    pub download_bytes_per_s: f64,
    /// Network bandwidth request and response payloads cross, bytes per
    /// second.
    pub network_bytes_per_s: f64,
    /// Hourly price in USD.
    pub price_per_hour: f64,
}

impl InstanceType {
    /// Capacity of the memory tier: GPU memory on GPU types, otherwise the
    /// RAM below the unloading watermark minus the reserved part.
    pub fn model_memory(&self) -> Bytes {
        match self.gpu {
            Some(g) => g.memory,
            None => Bytes(self.watermark_bytes().saturating_sub(self.reserved_memory.0)),
        }
    }

    /// RAM in use at which the container starts unloading.
    fn watermark_bytes(&self) -> u64 {
        if self.memory_watermark >= 1.0 {
            self.memory.0
        } else {
            (self.memory.0 as f64 * self.memory_watermark) as u64
        }
    }

    /// What a loaded model costs in the memory tier: its footprint, plus
    /// the container's per-model overhead on CPU types (on GPU types the
    /// overhead is host memory, outside the GPU tier).
    pub fn tier_footprint(&self, model_memory: Bytes) -> Bytes {
        match self.gpu {
            Some(_) => model_memory,
            None => Bytes(model_memory.0.saturating_add(self.model_overhead.0)),
        }
    }

    /// Inference slots: the GPU's slots on GPU types, otherwise the vCPUs.
    pub fn slots(&self) -> u32 {
        match self.gpu {
            Some(g) => g.slots,
            None => self.vcpus,
        }
    }

    /// Checks the figures; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.vcpus == 0 {
            return Err(ConfigError::invalid("vcpus", "`vcpus` must be at least 1"));
        }
        if self.memory.0 == 0 {
            return Err(ConfigError::invalid("memory_gib", "`memory_gib` must be positive"));
        }
        if !(self.memory_watermark.is_finite() && self.memory_watermark > 0.0 && self.memory_watermark <= 1.0) {
            return Err(ConfigError::invalid(
                "memory_watermark",
                format!("`memory_watermark` must be in (0, 1], got {}", self.memory_watermark),
            ));
        }
        if self.gpu.is_none() && self.reserved_memory.0 >= self.watermark_bytes() {
            return Err(ConfigError::invalid(
                "reserved_memory_gib",
                "`reserved_memory_gib` must be less than `memory_watermark × memory_gib`",
            ));
        }
        if let Some(g) = self.gpu {
            if g.count == 0 || g.slots == 0 || g.memory.0 == 0 {
                return Err(ConfigError::invalid("gpu", "`gpu` needs count, slots and memory_gib all positive"));
            }
        }
        if self.storage.size.0 == 0 {
            return Err(ConfigError::invalid("storage.size_gib", "`storage.size_gib` must be positive"));
        }
        // At least 1 kB/s: slower would make loads outlast any simulation.
        if !(self.storage.read_bytes_per_s.is_finite() && self.storage.read_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid(
                "storage.read_mb_per_s",
                "`storage.read_mb_per_s` must be at least 0.001",
            ));
        }
        if !(self.download_bytes_per_s.is_finite() && self.download_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid("download_mb_per_s", "`download_mb_per_s` must be at least 0.001"));
        }
        if !(self.network_bytes_per_s.is_finite() && self.network_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid("network_mb_per_s", "`network_mb_per_s` must be at least 0.001"));
        }
        if self.vcpus > 1 << 20 || self.gpu.is_some_and(|g| g.slots > 1 << 20) {
            return Err(ConfigError::unsupported("more than 2^20 inference slots per instance are not supported"));
        }
        if !(self.cpu_speed.is_finite() && (1e-3..=1e3).contains(&self.cpu_speed)) {
            return Err(ConfigError::invalid("cpu_speed", "`cpu_speed` must be between 0.001 and 1000"));
        }
        if !(self.price_per_hour.is_finite() && self.price_per_hour >= 0.0) {
            return Err(ConfigError::invalid("price_per_hour", "`price_per_hour` must be a non-negative number"));
        }
        Ok(())
    }
}

/// A set of instance types by name: the built-in ones, extended or
/// overridden by a scenario.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    types: BTreeMap<String, InstanceType>,
}

const MB: f64 = 1e6;

#[allow(clippy::too_many_arguments)]
fn entry(
    name: &str,
    vcpus: u32,
    mem_gib: f64,
    nvme_gb: Option<f64>,
    gpu: Option<(f64, u32)>,
    price: f64,
) -> InstanceType {
    let storage = match nvme_gb {
        Some(gb) => Storage { kind: StorageKind::Nvme, size: Bytes((gb * 1e9) as u64), read_bytes_per_s: 2000.0 * MB },
        None => Storage { kind: StorageKind::Ebs, size: Bytes::from_gib(100.0), read_bytes_per_s: 250.0 * MB },
    };
    InstanceType {
        name: name.to_string(),
        vcpus,
        cpu_speed: 1.0,
        memory: Bytes::from_gib(mem_gib),
        reserved_memory: Bytes::from_gib(if mem_gib <= 8.0 { 1.0 } else { 2.0 }),
        model_overhead: Bytes::ZERO,
        memory_watermark: 1.0,
        gpu: gpu.map(|(gib, slots)| Gpu { count: 1, memory: Bytes::from_gib(gib), slots }),
        storage,
        download_bytes_per_s: if vcpus <= 4 { 200.0 * MB } else { 400.0 * MB },
        network_bytes_per_s: if vcpus <= 4 { 200.0 * MB } else { 400.0 * MB },
        price_per_hour: price,
    }
}

impl Catalog {
    /// The built-in catalog (see the module notes for sources and
    /// assumptions).
    pub fn builtin() -> Catalog {
        let list = [
            entry("ml.m5.large", 2, 8.0, None, None, 0.115),
            entry("ml.m5.xlarge", 4, 16.0, None, None, 0.23),
            entry("ml.m5.2xlarge", 8, 32.0, None, None, 0.461),
            entry("ml.m5.4xlarge", 16, 64.0, None, None, 0.922),
            entry("ml.c5.xlarge", 4, 8.0, None, None, 0.204),
            entry("ml.c5.2xlarge", 8, 16.0, None, None, 0.408),
            entry("ml.r5.xlarge", 4, 32.0, None, None, 0.302),
            entry("ml.r5.2xlarge", 8, 64.0, None, None, 0.605),
            entry("ml.m5d.xlarge", 4, 16.0, Some(150.0), None, 0.271),
            entry("ml.c5d.xlarge", 4, 8.0, Some(100.0), None, 0.23),
            entry("ml.r5d.xlarge", 4, 32.0, Some(150.0), None, 0.346),
            // NVIDIA T4, 16 GiB; A10G, 24 GiB. Slots: concurrent inferences
            // a serving container typically runs on one such GPU.
            entry("ml.g4dn.xlarge", 4, 16.0, Some(125.0), Some((16.0, 4)), 0.736),
            entry("ml.g5.xlarge", 4, 16.0, Some(250.0), Some((24.0, 4)), 1.408),
            entry("ml.g5.2xlarge", 8, 32.0, Some(450.0), Some((24.0, 4)), 1.515),
        ];
        let mut c = Catalog::default();
        for t in list {
            c.insert(t);
        }
        c
    }

    /// Adds a type, replacing any of the same name.
    pub fn insert(&mut self, t: InstanceType) {
        self.types.insert(t.name.clone(), t);
    }

    /// Looks a type up by name.
    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types.get(name)
    }

    /// All names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// All types, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &InstanceType> {
        self.types.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_covers_the_brief_and_is_valid() {
        let c = Catalog::builtin();
        for name in [
            "ml.m5.large",
            "ml.m5.xlarge",
            "ml.m5.2xlarge",
            "ml.m5.4xlarge",
            "ml.c5.xlarge",
            "ml.c5.2xlarge",
            "ml.r5.xlarge",
            "ml.r5.2xlarge",
            "ml.m5d.xlarge",
            "ml.c5d.xlarge",
            "ml.r5d.xlarge",
            "ml.g4dn.xlarge",
            "ml.g5.xlarge",
            "ml.g5.2xlarge",
        ] {
            let t = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
            t.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let m5 = c.get("ml.m5.xlarge").unwrap();
        assert_eq!((m5.vcpus, m5.memory), (4, Bytes::from_gib(16.0)));
        assert_eq!(m5.model_memory(), Bytes::from_gib(14.0));
        assert_eq!(m5.slots(), 4);
        let g5 = c.get("ml.g5.xlarge").unwrap();
        assert_eq!(g5.model_memory(), Bytes::from_gib(24.0));
        assert_eq!(c.get("ml.r5d.xlarge").unwrap().storage.kind, StorageKind::Nvme);
    }

    #[test]
    fn scenario_can_override() {
        let mut c = Catalog::builtin();
        let mut t = c.get("ml.m5.xlarge").unwrap().clone();
        t.price_per_hour = 0.2;
        c.insert(t);
        assert_eq!(c.get("ml.m5.xlarge").unwrap().price_per_hour, 0.2);
    }
}
