//! The shared repository contract suite, run against [`MemoryStore`].

use std::sync::Arc;

use thunderphone_store_memory::MemoryStore;

thunderphone_store_contract::contract_tests!(|| async { Arc::new(MemoryStore::new()) });
