"""Build stage: the incremental build of an output folder (plan, process pool, brochure assembly, part
cache, fingerprints, output, catalog, watch)."""
