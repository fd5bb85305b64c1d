/** The camera error wording: each DOMException name, the alternative each caller names, and other errors. */
import { describe, expect, it } from 'vitest';
import { cameraErrorText, DRIVE_ALTERNATIVE, PHOTO_ALTERNATIVE } from './camera-errors.ts';

const dom = (name: string) => new DOMException('detail', name);

describe('cameraErrorText', () => {
  it('says access was denied and offers the alternative', () => {
    for (const name of ['NotAllowedError', 'SecurityError']) {
      expect(cameraErrorText(dom(name), PHOTO_ALTERNATIVE)).toBe(
        'Camera access was denied. Allow the camera for this page in the browser settings, or choose photo files.',
      );
    }
    expect(cameraErrorText(dom('NotAllowedError'), DRIVE_ALTERNATIVE)).toBe(
      'Camera access was denied. Allow the camera for this page in the browser settings, or drive the avatar with a video file.',
    );
  });

  it('says no camera was found, with the alternative as its own sentence', () => {
    expect(cameraErrorText(dom('NotFoundError'), PHOTO_ALTERNATIVE)).toBe('No camera was found. Choose photo files instead.');
    expect(cameraErrorText(dom('OverconstrainedError'), DRIVE_ALTERNATIVE)).toBe(
      'No camera was found. Drive the avatar with a video file instead.',
    );
  });

  it('says the camera is busy', () => {
    expect(cameraErrorText(dom('NotReadableError'), PHOTO_ALTERNATIVE)).toBe('The camera is in use by another program.');
  });

  it('passes on the message of any other error', () => {
    expect(cameraErrorText(dom('AbortError'), DRIVE_ALTERNATIVE)).toBe('The camera could not be started: detail');
    expect(cameraErrorText(new Error('boom'), DRIVE_ALTERNATIVE)).toBe('The camera could not be started: boom');
    expect(cameraErrorText('odd', PHOTO_ALTERNATIVE)).toBe('The camera could not be started: odd');
  });
});
