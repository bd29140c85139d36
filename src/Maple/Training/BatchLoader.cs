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
    /// <param name="skipUnreadable">
    /// Leave out images that cannot be decoded (reported through <paramref name="skipped"/>) instead of
    /// failing; a batch then has fewer images.
    /// </param>
    /// <param name="skipped">Told of every image left out, with the decoder's error.</param>
    public BatchLoader(IReadOnlyList<LabeledImage> items, IReadOnlyList<int[]> batches, Func<IReadOnlyList<string>, Tensor> load, int prefetch,
        bool skipUnreadable = false, Action<ImageDecodeException>? skipped = null)
    {
        _channel = Channel.CreateBounded<(Tensor, Tensor)>(new BoundedChannelOptions(prefetch) { SingleReader = true, SingleWriter = true });
        _producer = Task.Run(async () =>
        {
            try
            {
                foreach (var batch in batches)
                {
                    if (Load(items, batch, load, skipUnreadable, skipped) is { } loaded)
                        await _channel.Writer.WriteAsync(loaded, _stop.Token);
                }
                _channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                _channel.Writer.Complete(ex is OperationCanceledException ? null : ex);
            }
        });
    }

    /// <summary>
    /// Batches of <paramref name="batchSize"/> images in data order through the evaluation transform, for
    /// scoring: the last batch may be smaller, and an unreadable image fails the run (its scores would be missing).
    /// </summary>
    public static BatchLoader InOrder(IReadOnlyList<LabeledImage> items, int batchSize, EvalTransform transform, int loaderThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batches = Enumerable.Range(0, (items.Count + batchSize - 1) / batchSize)
            .Select(b => Enumerable.Range(b * batchSize, Math.Min(batchSize, items.Count - b * batchSize)).ToArray())
            .ToList();
        return new BatchLoader(items, batches, paths => transform.LoadBatch(paths, loaderThreads), prefetch: 2);
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

    static (Tensor Images, Tensor Labels)? Load(IReadOnlyList<LabeledImage> items, int[] batch, Func<IReadOnlyList<string>, Tensor> load,
        bool skipUnreadable, Action<ImageDecodeException>? skipped)
    {
        Tensor images;
        var kept = batch;
        try
        {
            images = load(batch.Select(i => items[i].Path).ToList());
        }
        catch (ImageDecodeException) when (skipUnreadable)
        {
            // Find the unreadable images one by one and keep the rest of the batch.
            var parts = new List<Tensor>();
            var good = new List<int>();
            foreach (var index in batch)
            {
                try
                {
                    parts.Add(load([items[index].Path]));
                    good.Add(index);
                }
                catch (ImageDecodeException ex)
                {
                    skipped?.Invoke(ex);
                }
            }
            if (good.Count == 0)
                return null;
            images = cat(parts, 0);
            foreach (var part in parts)
                part.Dispose();
            kept = good.ToArray();
        }
        var labels = tensor(kept.Select(i => (long)items[i].Label).ToArray());
        return (images.DetachFromDisposeScope(), labels.DetachFromDisposeScope());
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
