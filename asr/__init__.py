"""Offline speech recognition for callscreen: Vosk behind typed events, with no knowledge of SIP or RTP.

Entry points (imported from their modules, so that ``import asr.errors`` stays free of numpy and vosk):
``asr.model.load_shared_model`` → ``asr.engine.AsrEngine`` (one per process) → ``open_stream(call_id)`` per call;
``asr.offline.transcribe_file`` for recordings; ``asr.audio.read_wav_as_telephone_pcm``;
``asr.speech_stats.SpeechStatsTracker``. The contract other packages code against is ``asr.events``.
"""
