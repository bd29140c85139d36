using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>Reading stored tensors into tensors of another dtype, through the file's small conversion buffer.</summary>
public sealed class SafetensorsReadTests : IDisposable
{
    readonly CheckpointFiles _files = new();

    [Fact]
    public void TensorsOfSeveralDtypesAndManyPiecesConvertAsLibtorchConvertsThemWhole()
    {
        using var scope = NewDisposeScope();
        // 700,001 fp32 values span three pieces of the 1 MB buffer (the last one partial); fp16 and a second fp32
        // tensor after it make the buffer change dtype and shrink back to a tensor smaller than one piece.
        var large = arange(700_001, ScalarType.Float32).mul(1e-3).sin();
        var half = linspace(-4, 4, 5_000).to(ScalarType.Float16);
        var small = tensor(new float[] { 1.0f / 3, -2.5e-3f, 65_504f, 3.14159f });
        var path = Path.Combine(_files.Root, "mixed.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["large"] = large, ["half"] = half, ["small"] = small });

        using var file = SafetensorsFile.Open(path);
        foreach (var (name, stored) in new[] { ("large", large), ("half", half), ("small", small), ("large", large) })
        {
            var destination = empty(stored.shape, ScalarType.BFloat16);
            file.ReadInto(name, destination);
            Assert.True(destination.equal(stored.to(ScalarType.BFloat16)).all().item<bool>(), $"{name} differs from libtorch's conversion");
        }
        var same = empty(large.shape, ScalarType.Float32);
        file.ReadInto("large", same);
        Assert.True(same.equal(large).all().item<bool>());
    }

    [Fact]
    public void ADestinationOfAnotherSizeIsRefusedNamingTheFile()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_files.Root, "one.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = ones(10, 3) });
        using var file = SafetensorsFile.Open(path);
        var error = Assert.Throws<InvalidDataException>(() => file.ReadInto("w", empty(new long[] { 29 }, ScalarType.BFloat16)));
        Assert.Contains(path, error.Message);
    }

    public void Dispose() => _files.Dispose();
}
