"""Live check: simulated agent and GPU traffic backfilled into a real Prometheus, then every panel and rule queried.

- `topology`: the simulated platform (agents, tenants, models, tools, collections, GPUs);
- `scenarios`: the schedule: a normal window, then each alert's declared incident with a simulated subject;
- `simulator`: seeded OpenMetrics samples with timestamps for every catalog metric;
- `prometheus`: promtool backfill and a throw-away Prometheus on 127.0.0.1;
- `check`: runs every dashboard target, recording rule and alert, and reports.
"""
