"""Decision support on the model: what each 亿元 buys (value), an emulator of the targets, budget allocation, scenario discovery."""
