"""Record types of the knowledge base, as validated from the YAML data files.

Every record has an ``id`` that never changes once published (tests and the NLU data refer to it), a title, and
at least one citation of a verbatim statute passage.  Type-specific fields follow the seeds: the compliance list
mirrors Beihai's 经营主体行政合规指导清单 (违法行为, 法律依据, 发生频率, 合规建议, 指导部门).
"""
from __future__ import annotations

from typing import Any, ClassVar, Literal, Union

from pydantic import BaseModel, Field, root_validator, validator

ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"

DOMAINS = ("市场监管", "旅游文体", "人力资源", "消防救援")
Domain = Literal["市场监管", "旅游文体", "人力资源", "消防救援"]
Frequency = Literal["高", "中", "低"]
CitationRole = Literal["obligation", "penalty", "exemption", "basis", "procedure", "effect"]


class Strict(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True
        allow_mutation = False


class Citation(Strict):
    law: str  # key of the law in the statute manifest, e.g. 食品安全法
    article: str  # label exactly as in the official text, e.g. 第一百二十四条
    quote: str = Field(..., min_length=4)  # verbatim passage of that article
    role: CitationRole = "basis"


class Record(Strict):
    type: ClassVar[str] = "record"
    topic: ClassVar[str] = "compliance"

    id: str = Field(..., regex=ID_PATTERN)
    title: str = Field(..., min_length=2)
    citations: list[Citation] = Field(..., min_items=1)
    synonyms: list[str] = []
    examples: list[str] = []
    caveats: list[str] = []
    sources: list[str] = []  # seed passages the record rests on, e.g. "seed:003#8"
    related: list[str] = []  # ids of other records (checked: no dangling references)

    @validator("synonyms", "examples", each_item=True)
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("blank entry")
        return v

    def search_fields(self) -> list[str]:
        """Text that retrieval indexes, strongest first."""
        return [self.title, *self.synonyms, *self.examples]


class ListedEntry(Strict):
    """A published exemption list's entry this item is reported to fall under, as known from secondary sources.

    The lists' own texts are not available here: ``entry`` and ``conditions`` are paraphrases, never list text,
    and every answer says so. ``note`` records what the sources disagree on.
    """

    list: str  # id of an exemption_list record
    entry: str = Field(..., min_length=4)
    conditions: list[str] = []
    note: str = ""


class Exemption(Strict):
    # first_violation: 首违不罚 may apply (行政处罚法 第三十三条第一款 second sentence);
    # minor: 轻微不罚 may apply (first sentence); none: the seeds or statutes exclude it; case_by_case: depends.
    possible: Literal["first_violation", "minor", "first_violation_or_minor", "none", "case_by_case"]
    reason: str = Field(..., min_length=8)
    listed: list[ListedEntry] = []


class ComplianceItem(Record):
    type: ClassVar[str] = "compliance_item"
    topic: ClassVar[str] = "compliance"

    domain: Domain
    industries: list[str] = Field(..., min_items=1)
    violation: str = Field(..., min_length=4)  # 常见违法行为
    typical_forms: list[str] = Field(..., min_items=1)
    penalty: str = Field(..., min_length=4)  # verbatim from the penalty article
    frequency: Frequency
    frequency_basis: str = Field(..., min_length=6)
    advice: list[str] = Field(..., min_items=2)
    department: str
    exemption: Exemption
    synonyms: list[str] = Field(..., min_items=1)
    examples: list[str] = Field(..., min_items=3)

    @root_validator(skip_on_failure=True)
    def _needs_obligation_and_penalty(cls, values: dict[str, Any]) -> dict[str, Any]:
        roles = {c.role for c in values["citations"]}
        missing = {"obligation", "penalty"} - roles
        if missing:
            raise ValueError(f"citations need roles obligation and penalty; missing {sorted(missing)}")
        return values

    def search_fields(self) -> list[str]:
        return [self.title, self.violation, *self.synonyms, *self.typical_forms, *self.examples, *self.industries]


Outcome = Literal["不予处罚", "可以不予处罚", "应当从轻或者减轻处罚", "可以从轻或者减轻处罚", "不再给予处罚", "一般处罚"]


class ExemptionRule(Record):
    """A rule the exemption engine evaluates: all ``when`` facts must hold."""

    type: ClassVar[str] = "exemption_rule"
    topic: ClassVar[str] = "first_violation"

    outcome: Outcome
    priority: int  # lower wins when several rules hold
    when: dict[str, Union[bool, str, list[str], dict[str, float]]]
    explanation: str
    applies_to: list[str] = []  # compliance item ids or law keys; empty = any violation
    # minor (轻微不罚) and first_violation (首违不罚) are the grounds a compliance item's `exemption.possible`
    # speaks to: for them the item's own assessment shapes the verdict (an item that is never 轻微 is not exempt)
    ground: Literal["minor", "first_violation", "no_fault", "limitation", "mitigating", "general"]


class ExemptionList(Record):
    """A published list of exempt violations (首违不罚/轻微不罚/减轻/从轻) and what of it is known here."""

    type: ClassVar[str] = "exemption_list"
    topic: ClassVar[str] = "first_violation"

    issuer: str
    region: str
    # the enforcement domains the list covers; empty = not known here (then it is named only in its own region)
    domains: list[Domain] = []
    kind: Literal["首违不罚", "轻微不罚", "减轻处罚", "从轻处罚", "包容审慎监管措施"]
    count: int | None
    count_note: str = ""  # how the count is known when not from the seeds, e.g. 据公开报道
    verbatim_available: bool
    description: str


class FeeReliefRule(Record):
    type: ClassVar[str] = "fee_relief_rule"
    topic: ClassVar[str] = "fee_relief"

    relief: Literal["缓交", "减交", "免交"]
    ground: str  # the statute's own words for the situation
    circumstances: list[str] = Field(..., min_items=1)  # tags the engine matches on
    party_types: list[Literal["natural_person", "enterprise", "organisation"]] = Field(..., min_items=1)
    mandatory: bool  # 人民法院应当准予 (True) or discretionary "其他情形" (False)


class FeeReliefGuide(Record):
    """Procedure facts shared by every relief application (materials, timing, decision)."""

    type: ClassVar[str] = "fee_relief_guide"
    topic: ClassVar[str] = "fee_relief"

    aspect: Literal["materials", "timing", "decision", "cost_bearing", "who", "enterprise", "individual_business"]
    text: str


class MediationChannel(Record):
    type: ClassVar[str] = "mediation_channel"
    topic: ClassVar[str] = "mediation"

    kind: str  # 商会调解, 法院在线调解, 国际商事调解, 人民调解, 劳动仲裁, 司法确认, 诉讼 ...
    dispute_types: list[str] = Field(..., min_items=1)  # tags from vocab/dispute_types.yml
    regions: list[str] = Field(..., min_items=1)  # 全国, 广西, 广州市天河区, 柳州市 ...
    foreign: Literal["only", "yes", "no"]
    cost: str
    free: bool | None
    online: bool | None
    how_to_start: list[str] = Field(..., min_items=1)
    legal_effect: str
    next_steps: list[str] = []
    contact: str  # official channel to ask; never an invented number or address
    stage: Literal["pre_litigation", "litigation", "arbitration", "confirmation", "enforcement", "service"]


class CreditRepairProcedure(Record):
    type: ClassVar[str] = "credit_repair"
    topic: ClassVar[str] = "credit_repair"

    issue: Literal["失信被执行人", "限制高消费", "经营异常名录", "行政处罚信息公示", "严重违法失信名单"]
    situation: str  # which case this procedure covers (not listed / removal / lifting ...)
    conditions: list[str] = Field(..., min_items=1)
    steps: list[str] = Field(..., min_items=1)
    authority: str
    outcome: str
    situations: list[str] = []  # tags the engine matches on


class CriminalRisk(Record):
    type: ClassVar[str] = "criminal_risk"
    topic: ClassVar[str] = "criminal_risk"

    area: str  # 安全生产, 环境保护, 税收, 职务侵占 ...
    crime: str  # 罪名 as commonly named
    industries: list[str] = Field(..., min_items=1)  # "全部" for every business
    behaviours: list[str] = Field(..., min_items=1)
    prevention: list[str] = Field(..., min_items=1)
    penalty_summary: str  # verbatim from the article


class Guide(Record):
    """Service explanations that are neither rules nor channels (e.g. 来宾 litigation-info explanation)."""

    type: ClassVar[str] = "guide"
    topic: ClassVar[str] = "litigation_info"

    subject: str
    body: list[str] = Field(..., min_items=1)
    next_steps: list[str] = []
    contact: str = ""
    # procedure: how dispute resolution works (effect of agreements and judgments, enforcement, time limits);
    # business_status: what happens to a business and the people behind it (吊销, 注销, 法定代表人, 重整/和解)
    guide_topic: Literal["litigation_info", "litigation_fee", "annual_report", "legal_aid", "general", "procedure",
                         "business_status"] = "general"


RECORD_TYPES: dict[str, type[Record]] = {
    cls.type: cls
    for cls in (
        ComplianceItem,
        ExemptionRule,
        ExemptionList,
        FeeReliefRule,
        FeeReliefGuide,
        MediationChannel,
        CreditRepairProcedure,
        CriminalRisk,
        Guide,
    )
}
