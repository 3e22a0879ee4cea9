//! Policies written in Python, as the core's policy traits: an
//! `mmesim.EvictionPolicy` object as an [`Evictor`], an `mmesim.Router`
//! object as a [`Router`].
//!
//! Each call of the simulation goes to the object's method of the same
//! name, holding the GIL. A Python exception, or an answer the core would
//! refuse (a victim not held or pinned, an instance that does not accept
//! requests), is kept in an [`ErrorSlot`] shared by every policy of the
//! run (the first error wins) and raised when the run ends; meanwhile no
//! more calls are made and a safe default answers, so that the run ends:
//! the oldest-id unpinned object as victim, the least-loaded accepting
//! instance as route.

use mmesim::core::{
    AccessCtx, ClusterView, DiskState, Evictor, InstanceStatus, MemState, ModelId, ObjectMeta, RejectReason,
    RouteDecision, Router,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyFrozenSet, PyTuple};
use std::sync::{Arc, Mutex};

/// Where the first error of a run's Python policies is kept.
pub(crate) type ErrorSlot = Arc<Mutex<Option<PyErr>>>;

fn failed(slot: &ErrorSlot) -> bool {
    slot.lock().map_or(true, |e| e.is_some())
}

/// Keeps `e` in `slot` unless an error is there already.
pub(crate) fn fail(slot: &ErrorSlot, e: PyErr) {
    if let Ok(mut s) = slot.lock() {
        s.get_or_insert(e);
    }
}

/// The error kept in `slot`, taken out.
pub(crate) fn take_error(slot: &ErrorSlot) -> Option<PyErr> {
    slot.lock().ok().and_then(|mut e| e.take())
}

/// An eviction policy written in Python (see the module notes).
pub(crate) struct PyEvictor {
    obj: Py<PyAny>,
    name: String,
    /// Which ids are held (by id), and how many.
    held: Vec<bool>,
    len: usize,
    /// Whether the object has its own `on_unpin` (else it is not called).
    unpin: bool,
    /// Whether objects may be pinned (in a cluster run; never in a cache
    /// replay, where `victim` gets an empty set without asking).
    pins: bool,
    error: ErrorSlot,
}

impl PyEvictor {
    /// The policy `obj` (named `name` in errors), calling its `on_unpin`
    /// when `unpin`, told of pins when `pins`.
    pub(crate) fn new(obj: Py<PyAny>, name: &str, unpin: bool, pins: bool, error: ErrorSlot) -> Self {
        PyEvictor { obj, name: name.to_string(), held: Vec::new(), len: 0, unpin, pins, error }
    }

    fn call(
        &mut self,
        method: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
    ) -> Option<Py<PyAny>> {
        if failed(&self.error) {
            return None;
        }
        let got =
            Python::with_gil(|py| args(py).and_then(|a| self.obj.bind(py).call_method1(method, a)).map(Bound::unbind));
        got.map_err(|e| fail(&self.error, e)).ok()
    }

    fn call_ids(&mut self, method: &str, args: &[u64]) {
        self.call(method, |py| PyTuple::new(py, args));
    }

    fn hold(&mut self, id: u32, yes: bool) {
        let i = id as usize;
        if i >= self.held.len() {
            self.held.resize(i + 1, false);
        }
        if self.held[i] != yes {
            self.held[i] = yes;
            if yes {
                self.len += 1;
            } else {
                self.len -= 1;
            }
        }
    }

    /// After a fault: the smallest id held and not pinned, so that the run
    /// ends.
    fn fallback(&self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        (0..self.held.len() as u32).find(|&i| self.held[i as usize] && !pinned(i))
    }
}

impl Evictor for PyEvictor {
    fn name(&self) -> &str {
        &self.name
    }
    fn on_insert(&mut self, id: u32, meta: ObjectMeta, _ctx: AccessCtx) {
        self.hold(id, true);
        self.call_ids("on_insert", &[id as u64, meta.size.0]);
    }
    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        self.call_ids("on_access", &[id as u64]);
    }
    fn on_remove(&mut self, id: u32) {
        self.hold(id, false);
        self.call_ids("on_remove", &[id as u64]);
    }
    fn on_unpin(&mut self, id: u32) {
        if self.unpin {
            self.call_ids("on_unpin", &[id as u64]);
        }
    }
    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        // The ids held and pinned: few (the models serving or awaited).
        let pinned_now: Vec<u32> = if self.pins {
            (0..self.held.len() as u32).filter(|&i| self.held[i as usize] && pinned(i)).collect()
        } else {
            Vec::new()
        };
        let Some(v) = self.call("victim", |py| {
            let set = PyFrozenSet::new(py, &pinned_now)?;
            PyTuple::new(py, [set])
        }) else {
            return self.fallback(pinned);
        };
        let got: Result<Option<u32>, ()> = Python::with_gil(|py| {
            let v = v.bind(py);
            if v.is_none() {
                Ok(None)
            } else {
                v.extract::<u32>().map(Some).map_err(|_| ())
            }
        });
        let why = match got {
            Ok(Some(id)) if self.held.get(id as usize) == Some(&true) && !pinned_now.contains(&id) => return Some(id),
            // Nothing to evict: right only when everything held is pinned.
            Ok(None) if self.fallback(pinned).is_none() => return None,
            Ok(None) => "None, while the cache holds unpinned objects".to_string(),
            Ok(Some(id)) if pinned_now.contains(&id) => format!("{id}, which is pinned"),
            _ => {
                let shown = Python::with_gil(|py| v.bind(py).repr().map(|r| r.to_string()).unwrap_or_default());
                format!("{shown}, which is not an id the cache holds")
            }
        };
        fail(&self.error, PyValueError::new_err(format!("policy `{}`: victim() returned {why}", self.name)));
        self.fallback(pinned)
    }
    fn len(&self) -> usize {
        self.len
    }
}

/// A routing policy written in Python (see the module notes): `route(model,
/// view)` gets a [`View`] valid for that call only.
pub(crate) struct PyRouter {
    obj: Py<PyAny>,
    name: String,
    lru_age: bool,
    error: ErrorSlot,
}

impl PyRouter {
    /// The router `obj` (named `name` in errors); `lru_age`: whether it
    /// reads the instances' `lru_last_used`.
    pub(crate) fn new(obj: Py<PyAny>, name: &str, lru_age: bool, error: ErrorSlot) -> Self {
        PyRouter { obj, name: name.to_string(), lru_age, error }
    }

    fn fallback(view: &ClusterView<'_>) -> RouteDecision {
        match view.fleet().by_load().next() {
            Some(i) => RouteDecision::To(i),
            None => RouteDecision::Reject(RejectReason::NoHealthyInstance),
        }
    }
}

impl Router for PyRouter {
    fn name(&self) -> &str {
        &self.name
    }
    fn reads_lru_age(&self) -> bool {
        self.lru_age
    }
    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        if failed(&self.error) {
            return Self::fallback(view);
        }
        let answer = Python::with_gil(|py| -> PyResult<RouteDecision> {
            // The view's lifetime is erased for the Python object, which
            // is told when it ends (below): see `View`.
            let ptr = std::ptr::from_ref(view).cast::<ClusterView<'static>>();
            let v = Py::new(py, View { ptr })?;
            let got = self.obj.bind(py).call_method1("route", (model.0, v.clone_ref(py)));
            v.borrow_mut(py).ptr = std::ptr::null();
            let got = got?;
            if got.is_none() {
                return Ok(RouteDecision::Reject(RejectReason::NoHealthyInstance));
            }
            match got.extract::<u32>() {
                Ok(i) if view.instances().get(i as usize).is_some_and(InstanceStatus::accepts) => {
                    Ok(RouteDecision::To(mmesim::core::InstanceId(i)))
                }
                _ => Err(PyValueError::new_err(format!(
                    "router `{}`: route() returned {}, which is not an instance that accepts requests",
                    self.name,
                    got.repr()?
                ))),
            }
        });
        answer.unwrap_or_else(|e| {
            fail(&self.error, e);
            Self::fallback(view)
        })
    }
}

/// What a Python router sees of the cluster when it routes a request: a
/// read-only view, valid only during the `route` call that received it.
///
/// It points at the simulation's [`ClusterView`], which lives on the
/// stack of [`PyRouter::route`]; `route` clears the pointer before it
/// returns, and every method checks it, so a view kept past its call
/// raises `RuntimeError` instead of reading freed memory. The class is
/// `unsendable`: PyO3 refuses its use from any thread but the one running
/// the simulation.
#[pyclass(module = "mmesim._native", unsendable)]
pub(crate) struct View {
    ptr: *const ClusterView<'static>,
}

impl View {
    fn get(&self) -> PyResult<&ClusterView<'static>> {
        if self.ptr.is_null() {
            return Err(PyRuntimeError::new_err("a router's view is valid only during the route() call that got it"));
        }
        // SAFETY: non-null only while `PyRouter::route`, which borrows the
        // view for its whole body, is running on this thread (the class is
        // unsendable); the returned reference does not outlive `&self`'s
        // use in one method call, all within that `route`.
        Ok(unsafe { &*self.ptr })
    }
}

fn mem_name(m: MemState) -> &'static str {
    match m {
        MemState::Absent => "absent",
        MemState::Pending => "pending",
        MemState::Loading => "loading",
        MemState::Loaded => "loaded",
        MemState::Unloading => "unloading",
    }
}

fn disk_name(d: DiskState) -> &'static str {
    match d {
        DiskState::Absent => "absent",
        DiskState::Pending => "pending",
        DiskState::Downloading => "downloading",
        DiskState::Present => "present",
    }
}

/// One instance's copy of a model, as a router sees it.
#[pyclass(module = "mmesim._native", frozen)]
pub(crate) struct ModelCopy {
    /// The instance holding (or fetching) the copy.
    #[pyo3(get)]
    instance: u32,
    /// Memory tier: `absent`, `pending`, `loading`, `loaded` or `unloading`.
    #[pyo3(get)]
    memory: &'static str,
    /// Disk tier: `absent`, `pending`, `downloading` or `present`.
    #[pyo3(get)]
    disk: &'static str,
    /// The core's `ModelCopy::in_memory_or_coming`, taken at the call.
    coming: bool,
}

#[pymethods]
impl ModelCopy {
    /// Loaded, or on its way into memory (pending or loading): a request
    /// sent there starts no new load.
    fn in_memory_or_coming(&self) -> bool {
        self.coming
    }
    fn __repr__(&self) -> String {
        format!("ModelCopy(instance={}, memory={:?}, disk={:?})", self.instance, self.memory, self.disk)
    }
}

/// An instance, as a router sees it (a copy taken at the call).
#[pyclass(module = "mmesim._native", frozen, get_all)]
pub(crate) struct Instance {
    /// Its id.
    id: u32,
    /// Its availability zone's index.
    zone: u32,
    /// Up and serving.
    healthy: bool,
    /// Being drained before removal.
    draining: bool,
    /// Takes new requests (healthy and not draining).
    accepts: bool,
    /// Requests routed here and not finished.
    outstanding: u32,
    /// Of those, requests being served.
    serving: u32,
    /// Of those, requests whose model is ready, waiting for a slot.
    queued_for_slot: u32,
    /// Serving plus queued for a slot.
    slot_load: u32,
    /// Inference slots.
    slots: u32,
    /// Memory tier capacity, bytes.
    memory_capacity: u64,
    /// Memory tier bytes not occupied.
    memory_free: u64,
    /// Models loaded.
    loaded_models: u32,
    /// When the least recently used loaded model was last used, simulated
    /// seconds; `None` with none loaded, or unless the router's class says
    /// `reads_lru_age = True`.
    lru_last_used: Option<f64>,
}

impl From<&InstanceStatus> for Instance {
    fn from(s: &InstanceStatus) -> Self {
        Instance {
            id: s.id.0,
            zone: s.zone.0 as u32,
            healthy: s.healthy,
            draining: s.draining,
            accepts: s.accepts(),
            outstanding: s.outstanding,
            serving: s.serving,
            queued_for_slot: s.queued_for_slot,
            slot_load: s.slot_load(),
            slots: s.slots,
            memory_capacity: s.memory_capacity.0,
            memory_free: s.memory_free.0,
            loaded_models: s.loaded_models,
            lru_last_used: s.lru_last_used.map(|t| t.as_secs_f64()),
        }
    }
}

#[pymethods]
impl Instance {
    fn __repr__(&self) -> String {
        format!(
            "Instance(id={}, accepts={}, outstanding={}, loaded_models={})",
            self.id,
            if self.accepts { "True" } else { "False" },
            self.outstanding,
            self.loaded_models
        )
    }
}

#[pymethods]
impl View {
    /// Simulated time of the decision, seconds.
    #[getter]
    fn now(&self) -> PyResult<f64> {
        Ok(self.get()?.now().as_secs_f64())
    }

    /// Number of instances ever started (ids run from 0 to this, minus
    /// one), including failed and removed ones.
    #[getter]
    fn instance_count(&self) -> PyResult<usize> {
        Ok(self.get()?.instances().len())
    }

    /// One instance (`IndexError` for an id never started).
    fn instance(&self, id: usize) -> PyResult<Instance> {
        match self.get()?.instances().get(id) {
            Some(s) => Ok(Instance::from(s)),
            None => Err(pyo3::exceptions::PyIndexError::new_err(format!("no instance {id}"))),
        }
    }

    /// Every instance ever started, by id.
    fn instances(&self) -> PyResult<Vec<Instance>> {
        Ok(self.get()?.instances().iter().map(Instance::from).collect())
    }

    /// The ids of the instances that accept requests, in id order.
    fn accepting(&self) -> PyResult<Vec<u32>> {
        Ok(self.get()?.fleet().accepting().iter().map(|i| i.0).collect())
    }

    /// The ids of the accepting instances from the fewest outstanding
    /// requests up (ties: the one that reached its count first); the first
    /// `k` only when given (`by_load(1)` is least-outstanding's choice).
    #[pyo3(signature = (k = None))]
    fn by_load(&self, k: Option<usize>) -> PyResult<Vec<u32>> {
        let it = self.get()?.fleet().by_load().map(|i| i.0);
        Ok(match k {
            Some(k) => it.take(k).collect(),
            None => it.collect(),
        })
    }

    /// The instances that hold `model` in memory or on disk, or are
    /// fetching it, in no particular order (break ties by instance id).
    fn copies(&self, model: usize) -> PyResult<Vec<ModelCopy>> {
        let v = self.get()?;
        if model >= v.model_count() {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!("no model {model}")));
        }
        Ok(v.copies(ModelId(model as u32))
            .iter()
            .map(|c| ModelCopy {
                instance: c.instance.0,
                memory: mem_name(c.memory),
                disk: disk_name(c.disk),
                coming: c.in_memory_or_coming(),
            })
            .collect())
    }

    /// A model's memory footprint, bytes.
    fn model_memory(&self, model: usize) -> PyResult<u64> {
        let v = self.get()?;
        if model >= v.model_count() {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!("no model {model}")));
        }
        Ok(v.model_memory(ModelId(model as u32)).0)
    }

    /// Number of models.
    #[getter]
    fn model_count(&self) -> PyResult<usize> {
        Ok(self.get()?.model_count())
    }
}
