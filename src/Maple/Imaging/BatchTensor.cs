using System.Runtime.InteropServices;
using TorchSharp;

namespace Maple.Imaging;

/// <summary>
/// A float32 [n, 3, size, size] tensor whose images are written straight into its native memory. Batches
/// never pass through a managed array: a 32-image batch would otherwise be a 19 MB large-object-heap
/// allocation per step, and the collections it provokes run TorchSharp finalizers beside the model.
/// </summary>
static class BatchTensor
{
    /// <summary>Allocates the batch and lets <paramref name="fill"/> write image i's CHW floats (possibly in parallel).</summary>
    public static torch.Tensor Create(int count, int imageSize, int maxParallelism, Action<int, Span<float>> fill)
    {
        var plane = 3 * imageSize * imageSize;
        var batch = torch.empty([count, 3, imageSize, imageSize], torch.float32);
        try
        {
            BatchRunner.For(count, maxParallelism, i => fill(i, MemoryMarshal.Cast<byte, float>(batch.bytes).Slice(i * plane, plane)));
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }
}
