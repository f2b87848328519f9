"""`agentgrafana import`: existing dashboards (files, API exports, ConfigMaps, resource files) into content modules.

read -> migrate (Grafana's own upgrades of old dashboards, export inputs) -> infer catalog entries -> write code
-> build and compare: the generated dashboard must equal the imported one after normalisation.
"""
