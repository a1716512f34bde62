# One image for every 合规通 process (web front, Rasa replica, action server); the command picks the role.
FROM python:3.10-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
WORKDIR /app
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --no-cache-dir "pip<24.1" && pip install --no-cache-dir -r requirements/lock.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
 && python -m knowledge validate \
 && python -m bot.nlu.generate \
 && python -m bot.model ensure
EXPOSE 8080
CMD ["python", "-m", "bot.web"]
