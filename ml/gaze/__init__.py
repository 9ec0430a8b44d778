"""Visual delivery from face landmarks: dlib's HOG face detector and 68-point shape predictor
(``ml.gaze.landmarks``), head pose from the landmarks (``ml.gaze.pose``), and the signals read
from the pose and landmark series (``ml.gaze.signals``: facing the camera, looking-away episodes,
nods and shakes, motion, blinks from the eye aspect ratio, smiles from the mouth corners).

The channel (``ml.channels.gaze``) tracks the face through the sampled frames (``ml.gaze.track``).
Nothing here measures where the eyes look (no iris tracking): "facing the camera" is the head's
orientation, not eye contact.
"""
