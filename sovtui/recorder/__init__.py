"""The flight recorder: every poll the dashboard makes, kept on disk per cluster (no Textual).

`recorder.start_recording` is the dashboard's hook; `query` reads recordings back (series with
min/max buckets, jobs, efficiency notes); `prune` applies the retention settings.
"""
