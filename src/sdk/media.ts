/**
 * Puts a call's audio on the page's elements (spec 二.1: remoteVideoId plays the other party, localVideoId shows
 * our own stream). The remote element follows the call that most recently got media; when that call ends the
 * element is cleared so a finished call never keeps playing.
 */
export class MediaElements {
  private remoteOwner: string | null = null;
  private localOwner: string | null = null;
  private readonly reportedMissing = new Set<string>();

  constructor(
    private readonly remoteId: string,
    private readonly localId: string,
    private readonly onMissing: (elementId: string) => void,
  ) {}

  /** Follows the remote tracks of a call's peer connection. */
  follow(sessionId: string, pc: RTCPeerConnection): void {
    pc.addEventListener('track', (event) => {
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      this.play(this.remoteId, stream);
      this.remoteOwner = sessionId;
    });
  }

  /** Shows what this phone sends, once the call has its microphone. */
  showLocal(sessionId: string, pc: RTCPeerConnection): void {
    const tracks = pc
      .getSenders()
      .map((s) => s.track)
      .filter((t): t is MediaStreamTrack => t !== null);
    if (tracks.length === 0) return;
    this.play(this.localId, new MediaStream(tracks), true);
    this.localOwner = sessionId;
  }

  release(sessionId: string): void {
    if (this.remoteOwner === sessionId) {
      this.clear(this.remoteId);
      this.remoteOwner = null;
    }
    if (this.localOwner === sessionId) {
      this.clear(this.localId);
      this.localOwner = null;
    }
  }

  private play(id: string, stream: MediaStream, muted = false): void {
    const el = this.element(id);
    if (!el) return;
    el.muted = muted; // our own microphone must never play back into the headset
    el.autoplay = true;
    el.srcObject = stream;
    // Autoplay may be refused until the person touches the page; the element starts on its own afterwards.
    el.play().catch(() => undefined);
  }

  private clear(id: string): void {
    const el = this.element(id);
    if (el) el.srcObject = null;
  }

  private element(id: string): HTMLMediaElement | null {
    const el = document.getElementById(id);
    if (el instanceof HTMLMediaElement) return el;
    if (!this.reportedMissing.has(id)) {
      this.reportedMissing.add(id);
      this.onMissing(id);
    }
    return null;
  }
}
