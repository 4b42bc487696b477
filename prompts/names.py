"""The prompts callscreen can play. Code names a prompt by this enum, never by a file path."""

from __future__ import annotations

import enum


class PromptName(enum.StrEnum):
    GREETING = "greeting"  # invites the caller to state the reason for the call (content screening)
    STEER = "steer"  # a second chance to name the business, as agents are taught to steer
    CHALLENGE = "challenge"  # unsure after the first window: "what business? say it, or press 1 for an agent"
    RECORDED_NOTICE = "recorded_notice"  # first rung of the ladder: "this call is recorded; harassment is prosecuted"
    ANALYSIS_NOTICE = "analysis_notice"  # auto-analysis queue: "you have entered the analysis system"
    SIT = "sit"  # the special information tone between the two analysis prompts (ITU-T E.180)
    ANALYSIS_DONE = "analysis_done"  # "analysis complete, please hang up"
    LINE_FAULT = "line_fault"  # the polite "line fault, call again later" policy
    TRANSFER_FAILED = "transfer_failed"  # every agents target refused the transfer: apologise before hanging up
