using System.Threading.Channels;
using Maple.Data;
using Maple.Imaging;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// Decodes and transforms batches on a background thread, a bounded number ahead of the consumer,
/// so a training step does not wait on JPEG decoding when the model is the slower part.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    readonly Channel<(Tensor Images, Tensor Labels)> _channel;
    readonly CancellationTokenSource _stop = new();
    readonly Task _producer;

    /// <summary>Starts producing the batches of <paramref name="batches"/> (index lists into <paramref name="items"/>).</summary>
    /// <param name="items">The dataset's images.</param>
    /// <param name="batches">The images of each batch, in order.</param>
    /// <param name="load">Turns paths into a [n, 3, S, S] tensor (e.g. augmentation with a seeded generator).</param>
    /// <param name="prefetch">Batches prepared ahead.</param>
    public BatchLoader(IReadOnlyList<LabeledImage> items, IReadOnlyList<int[]> batches, Func<IReadOnlyList<string>, Tensor> load, int prefetch)
    {
        _channel = Channel.CreateBounded<(Tensor, Tensor)>(new BoundedChannelOptions(prefetch) { SingleReader = true, SingleWriter = true });
        _producer = Task.Run(async () =>
        {
            try
            {
                foreach (var batch in batches)
                {
                    var paths = batch.Select(i => items[i].Path).ToList();
                    var images = load(paths).DetachFromDisposeScope();
                    var labels = tensor(batch.Select(i => (long)items[i].Label).ToArray()).DetachFromDisposeScope();
                    await _channel.Writer.WriteAsync((images, labels), _stop.Token);
                }
                _channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                _channel.Writer.Complete(ex is OperationCanceledException ? null : ex);
            }
        });
    }

    /// <summary>The next batch (the caller disposes it), or null at the end. A loading error surfaces here.</summary>
    public (Tensor Images, Tensor Labels)? Next()
    {
        try
        {
            return _channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult() && _channel.Reader.TryRead(out var batch)
                ? batch
                : null;
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _producer.Wait();
        }
        catch (AggregateException)
        {
            // the producer's failure was already reported through Next
        }
        while (_channel.Reader.TryRead(out var batch))
        {
            batch.Images.Dispose();
            batch.Labels.Dispose();
        }
        _stop.Dispose();
    }
}
