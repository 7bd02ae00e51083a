import { setupManifest } from '@start9labs/start-sdk'

export const manifest = setupManifest({
  id: 'spark-control',
  title: 'Spark Control',
  license: 'MIT',
  packageRepo: 'https://github.com/spark-control/spark-control/tree/main/package',
  upstreamRepo: 'https://github.com/spark-control/spark-control',
  marketingUrl: 'https://github.com/spark-control/spark-control',
  donationUrl: null,
  description: {
    short: 'One dashboard and stable APIs for your NVIDIA DGX Spark cluster',
    long: 'Spark Control manages a small cluster of NVIDIA DGX Spark machines from your StartOS server: swap the language model vLLM serves, transcribe and diarize audio, speak, embed and search, and scrub private text before it goes to a cloud model. It reaches the Sparks over SSH and HTTP on your LAN or VPN and keeps one dashboard with live status.',
  },
  volumes: ['main'],
  images: {
    'spark-control': {
      source: { dockerBuild: { workdir: '..', dockerfile: '../Dockerfile' } },
      arch: ['x86_64', 'aarch64'],
    },
  },
  dependencies: {},
})
