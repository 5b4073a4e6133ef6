"""The joint micro-credential and its ELM 3.2 / EDC form (specs.md §9).

* :mod:`~vc_core.model.microcredential`: the typed model of a joint micro-credential with the
  Annex I elements of Council Recommendation 2022/C 243/02 (§9.4, §9.5).
* :mod:`~vc_core.model.vocab`: the ELM controlled vocabularies (§9.3).
* :mod:`~vc_core.model.elm`: :func:`build_elm_credential`, the ELM credential in the EC's
  VCDM 1.1 + EDC envelope (§9.1, §9.2).
* :mod:`~vc_core.model.completeness`: :func:`check_completeness`, which Annex I elements any ELM
  credential carries.
"""

from vc_core.model.completeness import (
    MANDATORY_ELEMENTS,
    OPTIONAL_ELEMENTS,
    AnnexElement,
    CompletenessReport,
    ElementReport,
    check_completeness,
)
from vc_core.model.elm import ELM_CONTEXT, build_elm_credential
from vc_core.model.microcredential import (
    Alliance,
    Assessment,
    AwardingBody,
    ConceptChoice,
    CoordinatingProvider,
    DisplayImage,
    EscoSkill,
    FurtherInformation,
    Grade,
    GradingScheme,
    Identifier,
    Learner,
    LearningOutcome,
    MicroCredential,
    QualificationRef,
    QualityAssurance,
    QualityAssuranceAgent,
    Stackability,
    Workload,
)

__all__ = [
    "ELM_CONTEXT",
    "MANDATORY_ELEMENTS",
    "OPTIONAL_ELEMENTS",
    "Alliance",
    "AnnexElement",
    "Assessment",
    "AwardingBody",
    "CompletenessReport",
    "ConceptChoice",
    "CoordinatingProvider",
    "DisplayImage",
    "ElementReport",
    "EscoSkill",
    "FurtherInformation",
    "Grade",
    "GradingScheme",
    "Identifier",
    "Learner",
    "LearningOutcome",
    "MicroCredential",
    "QualificationRef",
    "QualityAssurance",
    "QualityAssuranceAgent",
    "Stackability",
    "Workload",
    "build_elm_credential",
    "check_completeness",
]
