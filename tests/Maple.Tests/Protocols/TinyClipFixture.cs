using Maple.Clip;

namespace Maple.Tests.Protocols;

/// <summary>The tiny CLIP (3 layers per encoder), loaded once for a test class: benchmarks never change its weights.</summary>
public sealed class TinyClipFixture : IDisposable
{
    public TinyClipFixture() => Clip = PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32).GetAwaiter().GetResult();

    public PretrainedClip Clip { get; }

    public void Dispose() => Clip.Dispose();
}
