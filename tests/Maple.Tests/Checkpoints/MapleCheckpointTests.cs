using Maple.Clip.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Tests.Checkpoints;

public sealed class MapleCheckpointTests
{
    static readonly string CheckpointPath = TorchTestData.File("model.pth.tar-5");

    [Fact]
    public void LoadStateDict_GivesEveryTensorInSavedOrderWithSavedValues()
    {
        var expected = TorchTestData.Expected("model.pth.tar-5.expected.json").GetProperty("state_dict");
        var stateDict = TorchCheckpointReader.LoadStateDict(CheckpointPath);
        try
        {
            Assert.Equal(expected.EnumerateObject().Select(p => p.Name).ToArray(), stateDict.Keys.ToArray());
            Assert.Equal(
                [
                    "prompt_learner.ctx", "prompt_learner.token_prefix", "prompt_learner.token_suffix",
                    "prompt_learner.proj.weight", "prompt_learner.proj.bias",
                    "prompt_learner.compound_prompts_text.0", "prompt_learner.compound_prompts_text.1",
                    "prompt_learner.compound_prompt_projections.0.weight", "prompt_learner.compound_prompt_projections.0.bias",
                    "prompt_learner.compound_prompt_projections.1.weight", "prompt_learner.compound_prompt_projections.1.bias",
                ],
                stateDict.Keys.ToArray());
            foreach (var entry in expected.EnumerateObject())
                TorchTestData.AssertTensor(entry.Value, stateDict[entry.Name], entry.Name);
            Assert.Equal([2L, 16L], stateDict["prompt_learner.ctx"].shape);
            Assert.Equal([24L, 16L], stateDict["prompt_learner.proj.weight"].shape);
        }
        finally
        {
            foreach (var tensor in stateDict.Values)
                tensor.Dispose();
        }
    }

    [Fact]
    public void Load_ParsesEpochOptimizerWithMomentumBuffersAndDasslScheduler()
    {
        var expected = TorchTestData.Expected("model.pth.tar-5.expected.json");
        var checkpoint = Assert.IsType<OrderedDictionary<object, object?>>(TorchCheckpointReader.Load(CheckpointPath));
        try
        {
            Assert.Equal(["state_dict", "epoch", "optimizer", "scheduler", "val_result"], checkpoint.Keys.Cast<string>().ToArray());
            Assert.Equal(5L, checkpoint["epoch"]);
            Assert.Null(checkpoint["val_result"]);

            var optimizer = Assert.IsType<OrderedDictionary<object, object?>>(checkpoint["optimizer"]);
            var state = Assert.IsType<OrderedDictionary<object, object?>>(optimizer["state"]);
            var buffers = expected.GetProperty("momentum_buffers").EnumerateArray().ToArray();
            Assert.Equal(buffers.Length, state.Count);
            for (var i = 0; i < buffers.Length; i++)
            {
                var paramState = Assert.IsType<OrderedDictionary<object, object?>>(state[(long)i]);
                TorchTestData.AssertTensor(buffers[i], Assert.IsType<Tensor>(paramState["momentum_buffer"]), $"momentum buffer {i}");
            }
            var group = Assert.IsType<OrderedDictionary<object, object?>>(Assert.Single(Assert.IsType<List<object?>>(optimizer["param_groups"])));
            Assert.Equal(0.0035, group["initial_lr"]);
            Assert.Equal(0.9, group["momentum"]);
            Assert.Equal(false, group["nesterov"]);
            Assert.Equal(expected.GetProperty("param_groups_params").EnumerateArray().Select(p => (object?)p.GetInt64()),
                Assert.IsType<List<object?>>(group["params"]));

            var scheduler = Assert.IsType<OrderedDictionary<object, object?>>(checkpoint["scheduler"]);
            Assert.Equal(expected.GetProperty("scheduler_last_epoch").GetInt64(), scheduler["last_epoch"]);
            var successor = Assert.IsType<PickledObject>(scheduler["successor"]);
            Assert.Equal("torch.optim.lr_scheduler.CosineAnnealingLR", successor.TypeName);
            var successorState = Assert.IsType<OrderedDictionary<object, object?>>(successor.State);
            Assert.Equal(expected.GetProperty("successor_T_max").GetDouble(), successorState["T_max"]);
            var sgd = Assert.IsType<PickledObject>(successorState["optimizer"]);
            Assert.Equal("torch.optim.sgd.SGD", sgd.TypeName);

            // The pickled SGD object keys its per-parameter state by the parameters themselves.
            var sgdState = Assert.IsType<OrderedDictionary<object, object?>>(Assert.IsType<OrderedDictionary<object, object?>>(sgd.State)["state"]);
            Assert.All(sgdState.Keys, key => Assert.IsType<Tensor>(key));
            Assert.Equal(buffers.Length, sgdState.Count);
        }
        finally
        {
            DisposeGraph(checkpoint);
        }
    }

    static void DisposeGraph(object? value)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([value]);
        while (pending.TryPop(out var item))
        {
            if (item is null || item is string || item.GetType().IsValueType || !seen.Add(item))
                continue;
            switch (item)
            {
                case Tensor tensor: tensor.Dispose(); break;
                case OrderedDictionary<object, object?> dict:
                    foreach (var (k, v) in dict) { pending.Push(k); pending.Push(v); }
                    break;
                case PickledObject obj: pending.Push(obj.State); break;
                case System.Collections.IEnumerable items:
                    foreach (var element in items) pending.Push(element);
                    break;
            }
        }
    }
}
