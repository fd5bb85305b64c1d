/**
 * Why the camera could not be opened, worded for the person at the keyboard. One wording for every
 * place that opens the webcam (the photo step, driving); each names its own way around a missing camera.
 */

/** What the photo step offers instead of the camera, as a lower-case clause. */
export const PHOTO_ALTERNATIVE = 'choose photo files';
/** What driving offers instead of the camera. */
export const DRIVE_ALTERNATIVE = 'drive the avatar with a video file';

/** The message for an error from `getUserMedia` (a DOMException, by name, or anything else). */
export function cameraErrorText(error: unknown, alternative: string): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return `Camera access was denied. Allow the camera for this page in the browser settings, or ${alternative}.`;
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return `No camera was found. ${alternative.charAt(0).toUpperCase()}${alternative.slice(1)} instead.`;
  }
  if (name === 'NotReadableError') return 'The camera is in use by another program.';
  return `The camera could not be started: ${error instanceof Error ? error.message : String(error)}`;
}
