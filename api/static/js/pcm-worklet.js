/* Microphone → 16 kHz mono s16le, in chunks of 100 ms.
 *
 * Loaded twice: as an AudioWorklet module (registers "pcm16k") and as a plain script
 * (the ScriptProcessor fallback uses the same Pcm16kDownsampler).
 */
"use strict";

class Pcm16kDownsampler {
  /** @param {number} inRate input sample rate; output is 16 kHz, chunkMs per chunk */
  constructor(inRate, chunkMs = 100) {
    this.step = inRate / 16000;     // input samples per output sample (>= 1)
    this.pos = 0;                   // fractional input position of the next output sample's start
    this.acc = 0;                   // running sum of the current box
    this.accN = 0;
    this.out = new Int16Array(Math.round(16000 * chunkMs / 1000));
    this.n = 0;
    this.sumSq = 0;
  }

  /** Feed Float32 samples; returns a list of full chunks (ArrayBuffer of s16le). */
  push(samples) {
    const chunks = [];
    if (this.step <= 1.0001) {
      for (let i = 0; i < samples.length; i++) this._emit(samples[i], chunks);
      return chunks;
    }
    // Box filter over each output sample's span of input: a cheap low-pass before decimation.
    for (let i = 0; i < samples.length; i++) {
      this.acc += samples[i];
      this.accN += 1;
      this.pos += 1;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        this._emit(this.acc / this.accN, chunks);
        this.acc = 0;
        this.accN = 0;
      }
    }
    return chunks;
  }

  _emit(x, chunks) {
    const v = x < -1 ? -1 : x > 1 ? 1 : x;
    this.sumSq += v * v;
    this.out[this.n++] = v < 0 ? v * 0x8000 : v * 0x7fff;
    if (this.n === this.out.length) {
      const rms = Math.sqrt(this.sumSq / this.n);
      chunks.push({ pcm: this.out.slice().buffer, rms });  // Int16Array is little-endian on every browser platform
      this.n = 0;
      this.sumSq = 0;
    }
  }
}

if (typeof registerProcessor === "function") {
  class Pcm16kProcessor extends AudioWorkletProcessor {
    constructor() {
      super();
      this.ds = new Pcm16kDownsampler(sampleRate); // `sampleRate` is a global in the worklet scope
    }
    process(inputs) {
      const ch = inputs[0] && inputs[0][0];
      if (ch) for (const c of this.ds.push(ch)) this.port.postMessage(c, [c.pcm]);
      return true;
    }
  }
  registerProcessor("pcm16k", Pcm16kProcessor);
}
