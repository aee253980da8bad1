-- Defers the check of certificates.replaced_by_id to commit (see migration 2026-11-23-000007).
SET CONSTRAINTS certificates_replaced_by_id_fkey DEFERRED
