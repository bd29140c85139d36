using Maple.Clip.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Tests.Checkpoints;

public sealed class TensorViewTests
{
    [Theory]
    [InlineData("views.pt")]
    [InlineData("views-legacy.pt")]
    public void ViewsAndDtypes_ComeOutWithTheValuesPythonSees(string file)
    {
        var expected = TorchTestData.Expected("views.expected.json");
        var graph = TorchCheckpointReader.Load(TorchTestData.File(file));
        try
        {
            var tensors = Assert.IsType<OrderedDictionary<object, object?>>(graph);
            Assert.Equal(expected.EnumerateObject().Select(p => (object)p.Name).ToArray(), tensors.Keys.ToArray());
            // expand() gives more elements than the storage holds: that view is never copied out.
            foreach (var entry in expected.EnumerateObject())
                TorchTestData.AssertTensor(entry.Value, Assert.IsType<Tensor>(tensors[entry.Name]), entry.Name, contiguous: entry.Name != "expanded");
        }
        finally
        {
            TorchTestData.DisposeAll(graph);
        }
    }

    [Theory]
    [InlineData("views.pt")]
    [InlineData("views-legacy.pt")]
    public void ExpandedView_IsRefusedInAStateDict(string file)
    {
        var path = TorchTestData.File(file);

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.LoadStateDict(path));

        Assert.Equal($"{path}: state dict entry 'expanded' of size [3, 4] is a view with more elements than its storage " +
            "(zero or overlapping strides, as expand() makes); save it with .contiguous() or .clone()", error.Message);
    }

    [Fact]
    public void SpotChecks_TransposeOffsetHalfBfloatAndInt64()
    {
        var graph = TorchCheckpointReader.Load(TorchTestData.File("views.pt"));
        var tensors = Assert.IsType<OrderedDictionary<object, object?>>(graph).ToDictionary(p => (string)p.Key, p => (Tensor)p.Value!);
        try
        {
            // base = arange(24).reshape(4, 6)
            Assert.Equal([6L, 4L], tensors["transposed"].shape);
            Assert.Equal(new float[] { 0, 6, 12, 18, 1, 7 }, tensors["transposed"].data<float>().Take(6).ToArray());
            Assert.Equal(new float[] { 8, 9, 10, 14, 15, 16 }, tensors["slice_with_offset"].data<float>().ToArray());
            Assert.Equal(new float[] { 18, 19, 20, 21, 22, 23 }, tensors["row_from_the_end"].data<float>().ToArray());
            Assert.Equal(ScalarType.Float16, tensors["fp16"].dtype);
            Assert.Equal(ScalarType.BFloat16, tensors["bf16"].dtype);
            Assert.Equal(ScalarType.Int64, tensors["int64"].dtype);
            Assert.Equal(new[] { -(1L << 40), 1, 2, 3, 1L << 62, -7 }, tensors["int64"].data<long>().ToArray());
            Assert.Empty(tensors["scalar"].shape);
            Assert.Equal(3.5f, tensors["scalar"].item<float>());
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
    }

    [Fact]
    public void BigEndianByteOrderRecord_IsHonoured()
    {
        var path = Path.Combine(Path.GetTempPath(), $"maple-bigendian-{Guid.NewGuid():N}.pt");
        try
        {
            var pickle = new PickleBuilder().Proto().Tensor("FloatStorage", "0", 3, 0, [3], [1]).Op('.').ToArray();
            var data = new[] { 1.5f, -2f, 1e-3f }.SelectMany(v => BitConverter.GetBytes(v).Reverse()).ToArray();
            PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = data }, prefix: "weights", byteOrder: "big");

            using var tensor = Assert.IsType<Tensor>(TorchCheckpointReader.Load(path));
            Assert.Equal(new[] { 1.5f, -2f, 1e-3f }, tensor.data<float>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RebuildTensorV3_ReinterpretsAnUntypedStorage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"maple-v3-{Guid.NewGuid():N}.pt");
        try
        {
            var pickle = new PickleBuilder().Proto()
                .Global("torch._utils", "_rebuild_tensor_v3")
                .Tuple(
                    b => b.Tuple(s => s.String("storage"), s => s.Global("torch", "UntypedStorage"), s => s.String("7"), s => s.String("cpu"), s => s.Int(16))
                        .Op('Q'),
                    b => b.Int(1),
                    b => b.IntTuple(3),
                    b => b.IntTuple(1),
                    b => b.Op(0x89),
                    b => b.Global("collections", "OrderedDict").Op(')').Op('R'),
                    b => b.Global("torch", "float32"))
                .Op('R').Op('.').ToArray();
            var data = new[] { 9f, 1f, 2f, 3f }.SelectMany(BitConverter.GetBytes).ToArray();
            PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["7"] = data });

            using var tensor = Assert.IsType<Tensor>(TorchCheckpointReader.Load(path));
            Assert.Equal(new[] { 1f, 2f, 3f }, tensor.data<float>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void StorageLargerThanOneCopyChunk_IsCopiedWhole()
    {
        // The reader copies storages in 16 MiB pieces; 5M floats (20 MB) crosses a piece boundary.
        const int count = 5_000_000;
        var path = Path.Combine(Path.GetTempPath(), $"maple-large-{Guid.NewGuid():N}.pt");
        try
        {
            var data = new byte[count * 4];
            for (var i = 0; i < count; i++)
                BitConverter.TryWriteBytes(data.AsSpan(i * 4), (float)i);
            var pickle = new PickleBuilder().Proto().Tensor("FloatStorage", "0", count, 0, [count], [1]).Op('.').ToArray();
            PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = data });

            using var tensor = Assert.IsType<Tensor>(TorchCheckpointReader.Load(path));
            var values = tensor.data<float>().ToArray();
            Assert.Equal(count, values.Length);
            foreach (var i in new[] { 0, 1, (1 << 22) - 1, 1 << 22, (1 << 22) + 1, count - 1 })
                Assert.Equal(i, values[i]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NumpyScalars_ComeOutAsNumbers()
    {
        var values = Assert.IsType<OrderedDictionary<object, object?>>(TorchCheckpointReader.Load(TorchTestData.File("numpy-scalars.pt")));
        try
        {
            Assert.Equal(91.25, values["best_acc"]);
            Assert.Equal(-7L, values["step"]);
            Assert.Equal(true, values["flag"]);
            Assert.Equal(0.5, values["half"]);
            Assert.Equal(3L, values["big_endian"]);
        }
        finally
        {
            TorchTestData.DisposeAll(values);
        }
    }
}
