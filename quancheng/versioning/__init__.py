"""Versioned configuration (配置版本): one implementation for the rule configuration
(compliance), the score sheets (supervision) and the retention configuration (archive).

``models.VersionedConfig`` is the abstract model; ``services`` proposes, activates and reads
versions. See docs/configuration-versions.md.
"""
