"""Call prompts: texts and rendered 8 kHz WAVs in one manifest, the SIT generated with numpy, checked at start-up.

``PromptLibrary.load()`` once in the composition root; code asks for ``PromptName.GREETING``, never for a path.
"""

from prompts.errors import PromptBuildError, PromptError
from prompts.library import PromptLibrary
from prompts.names import PromptName

__all__ = ["PromptBuildError", "PromptError", "PromptLibrary", "PromptName"]
