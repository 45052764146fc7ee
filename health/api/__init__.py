"""REST adapters for usage (with bulk ingestion), survey responses and feedback."""
