//! The core crate's tests, one binary with a module per area: statsmodels goldens
//! (`stats_golden`, `report_stats_golden`), properties and the allocation-free kernel
//! (`stats_props`), the kernel's journal path against the full computation
//! (`kernel_equivalence`, `kernel_reference` on the PPNR shape of `ppnr`), and the enumeration
//! against a brute force (`spec_enumeration`) and its no-duplicate rules (`spec_distinct`).

mod alloc_count;
mod kernel_equivalence;
mod kernel_reference;
mod ppnr;
mod report_stats_golden;
mod spec_distinct;
mod spec_enumeration;
mod stability_golden;
mod stats_golden;
mod stats_props;
