using System.CommandLine;

var root = new RootCommand("Maple: multi-modal prompt learning for CLIP.");
return root.Parse(args).Invoke();
