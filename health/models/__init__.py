from health.models.calibration import ChurnCalibration, ChurnCalibrationStatus
from health.models.monitors import MonitorConfig, MonitorKey, MonitorRun, MonitorRunStatus
from health.models.segments import Segment, SegmentMembership
from health.models.snapshots import (
    ChurnPrediction,
    HealthBand,
    HealthOverride,
    HealthScore,
    LatestHealthScore,
    RiskIndicator,
    Scorecard,
)
from health.models.usage import Feature, FeatureAdoption, UsageDaily
from health.models.voice import (
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    InsightStatus,
    ProductInsight,
    Survey,
    SurveyKind,
    SurveyResponse,
)

__all__ = [
    "ChurnCalibration",
    "ChurnCalibrationStatus",
    "ChurnPrediction",
    "Feature",
    "FeatureAdoption",
    "Feedback",
    "FeedbackKind",
    "FeedbackStatus",
    "HealthBand",
    "HealthOverride",
    "HealthScore",
    "InsightStatus",
    "LatestHealthScore",
    "MonitorConfig",
    "MonitorKey",
    "MonitorRun",
    "MonitorRunStatus",
    "ProductInsight",
    "RiskIndicator",
    "Scorecard",
    "Segment",
    "SegmentMembership",
    "Survey",
    "SurveyKind",
    "SurveyResponse",
    "UsageDaily",
]
